"""
Documents reach readers only through Wagtail's view, which checks their collection's
privacy; in production nginx then sends the file (cms/nginx_sendfile.py). What nginx does
with the answer is tested through the real front in tests/reliability/test_nginx_front.py.
"""

from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.test import RequestFactory

from wagtail.documents import get_document_model
from wagtail.models import BaseViewRestriction, Collection, CollectionViewRestriction
from wagtail.utils import sendfile as wagtail_sendfile

import pytest

from cms import nginx_sendfile

pytestmark = pytest.mark.django_db

PROTOCOL = b"Trial protocol, version 2\n" * 40


def add_document(title, file_name, collection=None, content=PROTOCOL):
    fields = {"collection": collection} if collection else {}
    return get_document_model().objects.create(
        title=title, file=ContentFile(content, name=file_name), **fields
    )


def restricted_collection(name, restriction_type, **fields):
    collection = Collection.get_first_root_node().add_child(name=name)
    CollectionViewRestriction.objects.create(
        collection=collection, restriction_type=restriction_type, **fields
    )
    return collection


@pytest.fixture
def public_document():
    return add_document("Public protocol", "public-protocol.txt")


@pytest.fixture
def members_document():
    members = restricted_collection("Signed-in readers", BaseViewRestriction.LOGIN)
    return add_document("Members' protocol", "members-protocol.txt", members)


@pytest.fixture
def password_document():
    locked = restricted_collection(
        "Password", BaseViewRestriction.PASSWORD, password="correct horse"
    )
    return add_document("Locked protocol", "locked-protocol.txt", locked)


@pytest.fixture
def sent_by_nginx(settings):
    """Production's backend. Wagtail loads the backend once per process, so it is
    forgotten before and after."""
    settings.SENDFILE_BACKEND = "cms.nginx_sendfile"
    wagtail_sendfile._get_sendfile.clear()
    yield
    wagtail_sendfile._get_sendfile.clear()


def body_of(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_documents_address_is_wagtails_view_not_the_file(public_document):
    assert public_document.url == f"/documents/{public_document.pk}/{public_document.filename}"
    assert "/media/" not in public_document.url


def test_a_public_document_downloads_whole(client, public_document):
    response = client.get(public_document.url)

    assert response.status_code == 200
    assert body_of(response) == PROTOCOL
    assert response["Content-Disposition"].startswith("attachment")


def test_a_document_for_signed_in_readers_sends_others_to_log_in(client, members_document):
    response = client.get(members_document.url)

    assert response.status_code == 302
    assert "login" in response["Location"]
    assert PROTOCOL not in body_of(response)


def test_a_signed_in_reader_gets_the_members_document(client, members_document, django_user_model):
    client.force_login(django_user_model.objects.create_user("member", "m@example.com", "pw"))

    response = client.get(members_document.url)

    assert response.status_code == 200
    assert body_of(response) == PROTOCOL


def test_a_password_document_asks_for_the_password_first(client, password_document):
    response = client.get(password_document.url)

    assert response.status_code == 200
    assert b"password" in response.content.lower()
    assert PROTOCOL not in response.content


def test_behind_nginx_a_public_document_is_an_empty_answer_naming_the_file(
    client, public_document, sent_by_nginx
):
    response = client.get(public_document.url)

    assert response.status_code == 200
    # Under MEDIA_ROOT as stored, e.g. documents/public-protocol.txt.
    assert response["X-Accel-Redirect"] == f"/internal-media/{public_document.file.name}"
    assert response.content == b""
    # The file's size would promise bytes this answer does not carry.
    assert response["Content-Length"] == "0"
    assert response["Content-Disposition"] == (f'attachment; filename="{public_document.filename}"')


def test_behind_nginx_a_private_document_names_no_file(
    client, members_document, password_document, sent_by_nginx
):
    for document in (members_document, password_document):
        response = client.get(document.url)

        assert "X-Accel-Redirect" not in response
        assert PROTOCOL not in response.content


def test_a_file_name_nginx_must_decode_is_escaped(settings):
    document = add_document("Résumé", "études et résumé.txt")

    response = nginx_sendfile.sendfile(RequestFactory().get("/"), document.file.path)

    assert response["X-Accel-Redirect"] == (
        "/internal-media/documents/%C3%A9tudes_et_r%C3%A9sum%C3%A9.txt"
    )


def test_a_file_outside_media_root_is_a_configuration_error(tmp_path):
    stray = tmp_path / "stray.txt"
    stray.write_bytes(PROTOCOL)

    with pytest.raises(ImproperlyConfigured, match="outside MEDIA_ROOT"):
        nginx_sendfile.sendfile(RequestFactory().get("/"), str(stray))
