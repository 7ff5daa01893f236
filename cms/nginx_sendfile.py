"""
Documents sent by nginx after Wagtail has decided the reader may have them.

Wagtail's document view (/documents/<id>/<file name>) checks the privacy of the
document's collection (signed-in users, a password, groups) and then hands the file to
the sendfile backend named by ``SENDFILE_BACKEND``. This backend answers with an empty
response that names the file in ``X-Accel-Redirect``; nginx sends it from an ``internal``
location (``deploy/nginx.conf``) that no request from outside can reach, with ranges and
conditional requests, and without holding a Python worker for the length of a download.

The files themselves are never served from /media/documents/: a private document's file
URL would skip the check.
"""

from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse

#: nginx's internal location for MEDIA_ROOT; deploy/nginx.conf names the same one.
INTERNAL_MEDIA_URL = "/internal-media/"


class AcceleratedFileResponse(HttpResponse):
    """An empty body that nginx replaces with the file.

    Wagtail's ``sendfile()`` sets the file's size as ``Content-Length`` after the backend
    returns, which would promise bytes this body does not have: a client talking to
    gunicorn directly would wait for them. The header always describes this body; nginx
    sends the file's own length.
    """

    def __setitem__(self, header, value):
        if header.lower() == "content-length":
            value = str(len(self.content))
        super().__setitem__(header, value)


def sendfile(request, filename, **kwargs):
    media_root = Path(settings.MEDIA_ROOT).resolve()
    try:
        relative = Path(filename).resolve().relative_to(media_root)
    except ValueError:
        raise ImproperlyConfigured(
            f"{filename} is outside MEDIA_ROOT ({media_root}), the only folder nginx's "
            f"{INTERNAL_MEDIA_URL} location serves; store documents under MEDIA_ROOT or "
            "set SENDFILE_BACKEND=wagtail.utils.sendfile_streaming_backend."
        ) from None
    response = AcceleratedFileResponse()
    response["X-Accel-Redirect"] = INTERNAL_MEDIA_URL + quote(relative.as_posix())
    return response
