"""
Finding the file of an image a WordPress post shows: in a copy of ``wp-content/uploads``
(``--media-dir``), or at its address (``--fetch-media``), or not at all, said why.

A file is only taken if Pillow reads it as an image, so a login page served instead of a
missing picture, or a file of something else, is reported rather than stored.
"""

import io
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import requests
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

MAX_IMAGE_BYTES = 25 * 1024 * 1024
UPLOADS_MARKER = "/wp-content/uploads/"
# WordPress names its resized copies "photo-300x200.jpg" after the original "photo.jpg".
RESIZED_SUFFIX = re.compile(r"-\d+x\d+(?=\.[A-Za-z0-9]+$)")


@dataclass
class ImageFile:
    name: str
    content: bytes
    origin: str  # "media_dir" or "fetched"


class ImageUnavailable(Exception):
    """Why an image's file could not be had, in words for the report."""


def original_url(url):
    """The full-size upload a resized copy was made from."""
    parts = urlsplit(url)
    return parts._replace(path=RESIZED_SUFFIX.sub("", parts.path), query="", fragment="").geturl()


def upload_path(url):
    """The path inside wp-content/uploads, e.g. "2025/03/needle.jpg", or None."""
    path = unquote(urlsplit(url).path)
    if UPLOADS_MARKER not in path:
        return None
    relative = PurePosixPath(path.split(UPLOADS_MARKER, 1)[1])
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        return None
    return relative


def _checked(name, content, origin):
    if len(content) > MAX_IMAGE_BYTES:
        raise ImageUnavailable(f"larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    try:
        with PILImage.open(io.BytesIO(content)) as picture:
            picture.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise ImageUnavailable("not an image file") from error
    return ImageFile(name=name, content=content, origin=origin)


def from_media_dir(media_dir, url):
    relative = upload_path(url)
    if relative is None:
        raise ImageUnavailable("not under wp-content/uploads")
    root = Path(media_dir).resolve()
    for candidate in (relative, PurePosixPath(RESIZED_SUFFIX.sub("", str(relative)))):
        path = (root / candidate).resolve()
        if path.is_relative_to(root) and path.is_file():
            return _checked(path.name, path.read_bytes(), "media_dir")
    raise ImageUnavailable(f"not in the media directory ({relative})")


def fetch(url, timeout):
    if urlsplit(url).scheme not in ("http", "https"):
        raise ImageUnavailable("not an http(s) address")
    try:
        with requests.get(url, timeout=timeout, stream=True) as response:
            if response.status_code != 200:
                raise ImageUnavailable(f"the server answered {response.status_code}")
            content = bytearray()
            for chunk in response.iter_content(64 * 1024):
                content += chunk
                if len(content) > MAX_IMAGE_BYTES:
                    raise ImageUnavailable(f"larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
    except requests.RequestException as error:
        raise ImageUnavailable(f"could not be fetched ({type(error).__name__})") from error
    name = PurePosixPath(unquote(urlsplit(url).path)).name or "image"
    return _checked(name, bytes(content), "fetched")


def image_file(url, media_dir=None, fetch_timeout=None):
    """The image's file from the first place that has it; ImageUnavailable says why not."""
    reasons = []
    if media_dir:
        try:
            return from_media_dir(media_dir, url)
        except ImageUnavailable as error:
            reasons.append(str(error))
    if fetch_timeout:
        try:
            return fetch(url, fetch_timeout)
        except ImageUnavailable as error:
            reasons.append(str(error))
    if not reasons:
        reasons.append("no --media-dir or --fetch-media given")
    raise ImageUnavailable("; ".join(reasons))
