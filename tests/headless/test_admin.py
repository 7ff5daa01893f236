"""Who may see and change webhooks in the admin, and that a saved secret never comes
back out: not in the form, the listing, the inspect view or a delivery."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

import pytest

from headless.models import Event, WebhookDelivery, WebhookEndpoint
from headless.signing import new_secret
from tests.comments.admin_users import PASSWORD, make_editor, make_superuser

ROLES = ["anonymous", "editor", "viewer", "manager", "admin"]
MAY_SEE = {"viewer", "manager", "admin"}
MAY_CHANGE = {"manager", "admin"}
SECRET = new_secret()


def make_webhook_user(username, codenames):
    group = Group.objects.create(name=f"Webhook {username}s")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        *Permission.objects.filter(content_type__app_label="headless", codename__in=codenames),
    )
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    user.groups.add(group)
    return user


@pytest.fixture
def client_as(client, db):
    def login(role):
        user = {
            "anonymous": lambda: None,
            "editor": make_editor,
            "viewer": lambda: make_webhook_user("viewer", ["view_webhookendpoint"]),
            "manager": lambda: make_webhook_user(
                "manager",
                ["view_webhookendpoint", "add_webhookendpoint", "change_webhookendpoint"],
            ),
            "admin": make_superuser,
        }[role]()
        if user:
            client.force_login(user)
        return client

    return login


@pytest.fixture
def endpoint(db):
    return WebhookEndpoint.objects.create(
        url="https://hooks.example.org/cms",
        secret=SECRET,
        events=[Event.PAGE_PUBLISHED],
    )


@pytest.fixture
def delivery(endpoint):
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        message_id="msg_test",
        event_type=Event.PAGE_PUBLISHED,
        body='{"type":"page.published"}',
        status=WebhookDelivery.Status.FAILED,
        attempts=7,
        last_error="Answered 503",
    )


def assert_refused(role, response):
    """Sent to log in, or Wagtail's permission-denied answer: back to the dashboard with
    a message (generic views) or a 403."""
    if role == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("wagtailadmin_login"))
    elif response.status_code == 302:
        assert response.url == reverse("wagtailadmin_home")
    else:
        assert response.status_code == 403


def form_data(**fields):
    data = {
        "url": "https://hooks.example.org/new",
        "description": "Front end",
        "events": [Event.PAGE_PUBLISHED, Event.COMMENT_CREATED],
        "is_active": "on",
        "new_secret": SECRET,
    }
    data.update(fields)
    return data


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "url_name",
    [
        "webhook_endpoints:index",
        "webhook_endpoints:edit",
        "webhook_deliveries:index",
        "webhook_deliveries:inspect",
    ],
)
def test_who_may_see_webhooks(client_as, delivery, role, url_name):
    needs_change = url_name.endswith(":edit")
    pk = delivery.endpoint.pk if url_name.startswith("webhook_endpoints") else delivery.pk
    args = [] if url_name.endswith(":index") else [pk]

    response = client_as(role).get(reverse(url_name, args=args))

    if role in (MAY_CHANGE if needs_change else MAY_SEE):
        assert response.status_code == 200
        assert SECRET not in response.text
        assert SECRET.removeprefix("whsec_") not in response.text
        if url_name == "webhook_deliveries:index":
            send_again_url = reverse("webhook_deliveries:send_again", args=[delivery.pk])
            assert (send_again_url in response.text) is (role in MAY_CHANGE)
    else:
        assert_refused(role, response)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_add_an_endpoint(client_as, db, role):
    response = client_as(role).post(reverse("webhook_endpoints:add"), form_data())

    if role in MAY_CHANGE:
        assert response.status_code == 302
        endpoint = WebhookEndpoint.objects.get()
        assert endpoint.secret == SECRET
        assert endpoint.events == [Event.PAGE_PUBLISHED, Event.COMMENT_CREATED]
    else:
        assert_refused(role, response)
        assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_who_may_send_a_delivery_again(client_as, delivery, role):
    url = reverse("webhook_deliveries:send_again", args=[delivery.pk])
    client = client_as(role)
    confirm = client.get(url)
    response = client.post(url)

    delivery.refresh_from_db()
    if role in MAY_CHANGE:
        assert confirm.status_code == 200
        assert "same webhook id and body" in confirm.text
        assert response.status_code == 302
        # The test queue runs it at once; the endpoint's address is not resolvable.
        assert delivery.attempts == 1
    else:
        assert_refused(role, confirm)
        assert_refused(role, response)
        assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.FAILED, 7)


@pytest.mark.parametrize("role", ["viewer", "manager", "admin"])
def test_nobody_writes_delivery_rows_by_hand(client_as, delivery, role):
    client = client_as(role)
    assert_refused(role, client.get(reverse("webhook_deliveries:edit", args=[delivery.pk])))
    assert_refused(role, client.post(reverse("webhook_deliveries:delete", args=[delivery.pk])))
    assert WebhookDelivery.objects.filter(pk=delivery.pk).exists()


@pytest.mark.parametrize("role", ["editor", "viewer", "admin"])
def test_settings_menu_shows_webhooks_to_those_who_may_see_them(client_as, db, role):
    response = client_as(role).get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    assert (reverse("webhook_endpoints:index") in response.text) is (role in MAY_SEE)


def test_a_blank_secret_on_edit_keeps_the_stored_one(client_as, endpoint):
    response = client_as("admin").post(
        reverse("webhook_endpoints:edit", args=[endpoint.pk]),
        form_data(url=endpoint.url, new_secret=""),
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.secret == SECRET
    assert endpoint.events == [Event.PAGE_PUBLISHED, Event.COMMENT_CREATED]


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"new_secret": ""}, "new_secret", "This field is required."),
        ({"new_secret": "not-a-secret"}, "new_secret", "must start with “whsec_”"),
        ({"new_secret": "whsec_c2hvcnQ="}, "new_secret", "24 to 64 bytes"),
        ({"url": "ftp://hooks.example.org/"}, "url", "http:// or https:// URLs only"),
        ({"url": "http://169.254.169.254/latest/"}, "url", "link-local"),
        ({"events": []}, "events", "This field is required."),
    ],
)
def test_a_bad_endpoint_gets_field_errors_and_nothing_is_saved(
    client_as, db, fields, field, message
):
    response = client_as("admin").post(reverse("webhook_endpoints:add"), form_data(**fields))

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert not WebhookEndpoint.objects.exists()
