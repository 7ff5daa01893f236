"""Ids no database can hold are 404s, on every v3 page operation, with a token or without."""

from wagtail.models import APIToken

import pytest

from tests.comments.admin_users import make_superuser

pytestmark = pytest.mark.django_db

HUGE_ID = 1821934771116391721336832


@pytest.mark.parametrize(("method", "status"), [("get", 404), ("patch", 404), ("delete", 404)])
def test_a_page_id_beyond_the_database_is_not_found(client, seed_post, method, status):
    _token, secret = APIToken.create_token(user=make_superuser("huge-id-admin"), name="test")

    response = getattr(client, method)(
        f"/api/v3/pages/{HUGE_ID}/",
        data={"title": "x"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )

    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"] == "application/problem+json"
