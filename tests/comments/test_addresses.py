"""Who the reader is, by network address: parsed, one spelling per address, refused when
it is not an address, and IPv6 readers counted by their /64 for flood limits."""

import logging

from django.test import RequestFactory

import pytest
from bs4 import BeautifulSoup

from blog.comments.addresses import InvalidClientAddress, client_ip, rate_limit_key
from blog.comments.models import Comment
from tests.comments.conftest import form_data

pytestmark = pytest.mark.usefixtures("no_wait")


def request_from(remote_addr="127.0.0.1", forwarded=None):
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **meta)


class TestClientIp:
    @pytest.mark.parametrize(
        ("remote_addr", "seen"),
        [
            ("192.0.2.1", "192.0.2.1"),
            ("2001:DB8:0::1", "2001:db8::1"),
            ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
            # An IPv4 reader reaching a dual-stack socket is that IPv4 reader.
            ("::ffff:192.0.2.1", "192.0.2.1"),
            # The zone names the server's network interface, not the reader.
            ("fe80::1%eth0", "fe80::1"),
        ],
    )
    def test_the_connections_address_in_its_one_canonical_spelling(self, remote_addr, seen):
        assert client_ip(request_from(remote_addr)) == seen

    @pytest.mark.parametrize(
        ("forwarded", "seen"),
        [
            ("2001:DB8::0:1", "2001:db8::1"),
            ("203.0.113.99, 2001:DB8::0:1", "2001:db8::1"),
            # Whatever a client wrote in front of our proxy's entry is not read at all.
            ("not-an-ip, 198.51.100.7", "198.51.100.7"),
            # Proxies that write ports (RFC 7239 node syntax).
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("198.51.100.7:51234", "198.51.100.7"),
            ("::ffff:198.51.100.7", "198.51.100.7"),
        ],
    )
    def test_behind_one_trusted_proxy_its_entry_is_read_and_parsed(self, settings, forwarded, seen):
        settings.TRUSTED_PROXY_HOPS = 1
        assert client_ip(request_from("127.0.0.1", forwarded)) == seen

    def test_behind_two_proxies_the_outer_ones_entry_is_read(self, settings):
        settings.TRUSTED_PROXY_HOPS = 2
        request = request_from("10.0.0.2", "203.0.113.99, 2001:db8::7, 10.0.0.1")
        assert client_ip(request) == "2001:db8::7"

    @pytest.mark.parametrize(
        "forwarded", ["not-an-ip", "198.51.100.7, not-an-ip", "999.1.1.1", "01.2.3.4", "unknown"]
    )
    def test_a_trusted_entry_that_is_no_address_is_refused_and_logged(
        self, settings, forwarded, caplog
    ):
        settings.TRUSTED_PROXY_HOPS = 1
        with (
            caplog.at_level(logging.WARNING, logger="blog.comments.addresses"),
            pytest.raises(InvalidClientAddress) as refused,
        ):
            client_ip(request_from("127.0.0.1", forwarded))
        assert "could not read your network address" in refused.value.message
        assert refused.value.status_code == 400
        assert "TRUSTED_PROXY_HOPS" in caplog.text

    def test_a_connection_address_that_is_no_address_is_refused(self):
        with pytest.raises(InvalidClientAddress):
            client_ip(request_from("not-an-ip"))

    def test_without_a_trusted_proxy_a_forwarded_value_is_never_read(self):
        assert client_ip(request_from("192.0.2.9", "not-an-ip")) == "192.0.2.9"

    def test_no_known_address_is_none(self):
        assert client_ip(request_from("")) is None


class TestRateLimitKey:
    @pytest.mark.parametrize(
        ("address", "key"),
        [
            (None, None),
            ("192.0.2.1", "192.0.2.1"),
            ("2001:db8::1", "2001:db8::/64"),
            ("2001:db8::ffff:ffff:ffff:ffff", "2001:db8::/64"),
            ("2001:db8:0:1::1", "2001:db8:0:1::/64"),
            ("::2", "::/64"),
            ("::ffff:192.0.2.1", "192.0.2.1"),
        ],
    )
    def test_ipv4_counts_by_address_and_ipv6_by_its_64(self, address, key):
        assert rate_limit_key(address) == key

    def test_neighbouring_ipv4_addresses_stay_apart(self):
        assert rate_limit_key("192.0.2.1") != rate_limit_key("192.0.2.2")

    def test_something_that_is_no_address_is_a_value_error(self):
        with pytest.raises(ValueError):
            rate_limit_key("not-an-ip")


def post_form(client, post, remote_addr, forwarded=None, **fields):
    """The form as the reader at ``remote_addr`` sends it (its token bound to them)."""
    headers = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    data = form_data(post, ip=remote_addr, **fields)
    return client.post(f"/comments/post/{post.pk}/", data, **headers)


def post_api(client, post, remote_addr, email="ada@private.example", **headers):
    meta = {"REMOTE_ADDR": remote_addr, **headers}
    token = client.get("/api/v3/comments/form-token/", {"page": post.pk}, **meta).json()["token"]
    data = {
        "page": post.pk,
        "author_name": "Ada Reader",
        "author_email": email,
        "body": f"Posted by {email} from {remote_addr}.",
        "token": token,
    }
    return client.post("/api/v3/comments/", data, content_type="application/json", **meta)


class TestPosting:
    def test_the_form_refuses_an_address_that_is_none_keeping_the_text(
        self, seed_post, client, settings
    ):
        settings.TRUSTED_PROXY_HOPS = 1
        response = post_form(
            client,
            seed_post,
            "127.0.0.1",
            forwarded="not-an-ip",
            body="Please keep these words.",
        )

        assert response.status_code == 400
        page = BeautifulSoup(response.content, "html.parser")
        assert "could not read your network address" in page.get_text()
        assert page.select_one("textarea[name=body]").get_text().strip() == (
            "Please keep these words."
        )
        assert "not-an-ip" not in response.content.decode()
        assert not Comment.objects.exists()

    def test_the_api_refuses_an_address_that_is_none_with_a_problem(
        self, seed_post, client, settings
    ):
        settings.TRUSTED_PROXY_HOPS = 1
        response = post_api(client, seed_post, "127.0.0.1", HTTP_X_FORWARDED_FOR="not-an-ip")

        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        assert "could not read your network address" in response.json()["detail"]
        assert "not-an-ip" not in response.content.decode()
        assert not Comment.objects.exists()

    @pytest.mark.parametrize(
        ("remote_addr", "stored"),
        [("2001:DB8:0::1", "2001:db8::1"), ("::ffff:192.0.2.1", "192.0.2.1")],
    )
    def test_the_stored_address_is_the_canonical_one(self, seed_post, client, remote_addr, stored):
        assert post_form(client, seed_post, remote_addr).status_code == 303
        assert Comment.objects.get().ip_address == stored

    def test_two_spellings_of_one_address_share_one_flood_slot(self, seed_post, client):
        first = post_form(client, seed_post, "2001:db8::1")
        second = post_form(
            client, seed_post, "2001:DB8:0::1", author_email="other@example.com", body="Again"
        )

        assert (first.status_code, second.status_code) == (303, 429)
        assert Comment.objects.count() == 1

    def test_an_ipv4_reader_on_a_dual_stack_socket_shares_its_ipv4_slot(self, seed_post, client):
        post_form(client, seed_post, "192.0.2.1")
        second = post_form(
            client, seed_post, "::ffff:192.0.2.1", author_email="other@example.com", body="Again"
        )
        assert second.status_code == 429

    def test_neighbouring_ipv4_readers_keep_their_own_slots(self, seed_post, client):
        first = post_form(client, seed_post, "192.0.2.1")
        second = post_form(
            client, seed_post, "192.0.2.2", author_email="other@example.com", body="Me too"
        )
        assert (first.status_code, second.status_code) == (303, 303)

    def test_addresses_of_one_ipv6_64_share_one_flood_slot(self, seed_post, client):
        first = post_form(client, seed_post, "2001:db8::1")
        second = post_form(
            client, seed_post, "2001:db8::2", author_email="other@example.com", body="Again"
        )

        assert (first.status_code, second.status_code) == (303, 429)
        assert Comment.objects.count() == 1

    def test_the_api_counts_ipv6_by_its_64_too(self, seed_post, client):
        first = post_api(client, seed_post, "2001:db8:0:5::1")
        second = post_api(client, seed_post, "2001:db8:0:5:ffff::2", email="other@example.com")

        assert (first.status_code, second.status_code) == (201, 429)

    def test_another_64_keeps_its_own_slot(self, seed_post, client):
        first = post_form(client, seed_post, "2001:db8:0:1::1")
        second = post_form(
            client, seed_post, "2001:db8:0:2::1", author_email="other@example.com", body="Me too"
        )
        assert (first.status_code, second.status_code) == (303, 303)
