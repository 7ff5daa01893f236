"""What every reader page carries around its content: the window title, the icon a browser
asks for, and landmarks a screen-reader user can tell apart."""

from django.contrib.staticfiles import finders

import pytest
from bs4 import BeautifulSoup
from PIL import Image as PILImage


def parse(response):
    return BeautifulSoup(response.content, "html.parser")


def test_the_home_title_names_the_site_once(seed_post, client):
    response = client.get("/")

    assert parse(response).title.get_text() == "Evidence Notes"


def test_other_pages_are_titled_page_then_site(seed_post, client):
    assert parse(client.get(seed_post.url)).title.get_text() == (
        "Is Dry Needling Effective for Chronic Muscle Cramping? · Evidence Notes"
    )
    assert parse(client.get("/blog/")).title.get_text() == "Blog · Evidence Notes"
    assert parse(client.get("/search/?q=twitch")).title.get_text() == (
        "Search: twitch · Evidence Notes"
    )


def test_favicon_ico_leads_to_a_real_icon(seed_post, client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert "max-age=86400" in response["Cache-Control"]
    assert response["Location"] == "/static/favicon.ico"
    path = finders.find("favicon.ico")
    with PILImage.open(path) as image:
        assert image.format == "ICO"
        assert {(16, 16), (32, 32)} <= set(image.info["sizes"])


@pytest.mark.parametrize("url", ["/", "/blog/", "/search/?q=twitch"])
def test_pages_link_their_icons(seed_post, client, url):
    links = parse(client.get(url)).select('link[rel="icon"]')

    hrefs = {link["href"] for link in links}
    assert hrefs == {"/static/favicon.svg", "/static/favicon.ico"}
    for href in hrefs:
        assert finders.find(href.removeprefix("/static/")), f"{href} is not a static file"


@pytest.mark.parametrize("url", ["/search/", "/search/?q=twitch", "/search/?q=zzzqqq"])
def test_search_landmarks_have_distinct_names(seed_post, client, url):
    page = parse(client.get(url))

    landmarks = page.select('[role="search"], search')
    names = [landmark.get("aria-label") for landmark in landmarks]
    assert len(landmarks) == 2
    assert all(names), f"a search landmark without a name: {names}"
    assert len(set(names)) == len(names), f"two search landmarks share a name: {names}"
