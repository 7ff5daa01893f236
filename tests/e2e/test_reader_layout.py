"""Reader pages as Chromium lays them out at 1280 px: what the test client cannot see
(widths, gaps, computed fonts) and the icon a browser fetches on its own."""

import pytest

from blog.seed import load_seed_content

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SEED_POST = "/blog/dry-needling-chronic-muscle-cramping/"


@pytest.fixture
def seeded_live_server(live_server):
    load_seed_content()
    return live_server


def box(locator):
    return locator.evaluate(
        "element => { const r = element.getBoundingClientRect();"
        " return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width}; }"
    )


@pytest.mark.parametrize("path", ["/", "/blog/", "/blog/tags/dry-needling/"])
def test_card_images_fill_their_cards(seeded_live_server, page, path):
    page.goto(f"{seeded_live_server.url}{path}")

    card = page.locator(".post-card").first
    image = card.locator(".post-card__image img")
    image.scroll_into_view_if_needed()
    page.wait_for_function(
        "image => image.complete && image.naturalWidth > 0", arg=image.element_handle()
    )
    card_box, image_box = box(card), box(image)
    # The card's 1 px border on each side is all that may separate them.
    assert card_box["width"] - image_box["width"] <= 2, (card_box, image_box)


@pytest.mark.parametrize("path", ["/", "/blog/", "/blog/tags/dry-needling/", SEED_POST, "/search/"])
def test_the_heading_stands_clear_of_the_header(seeded_live_server, page, path):
    page.goto(f"{seeded_live_server.url}{path}")

    header_bottom = box(page.locator(".site-header"))["bottom"]
    heading_top = box(page.locator("h1").first)["top"]
    assert heading_top - header_bottom >= 16, (header_bottom, heading_top)


@pytest.mark.parametrize("path", ["/search/?q=twitch", SEED_POST])
def test_buttons_use_the_interface_typeface_not_the_body_serif(seeded_live_server, page, path):
    page.goto(f"{seeded_live_server.url}{path}")

    families = page.eval_on_selector_all(
        "main button, header button",
        "buttons => buttons.map(button => getComputedStyle(button).fontFamily)",
    )
    assert families, "no buttons on the page"
    for family in families:
        assert family.rstrip().endswith("sans-serif"), family
        assert "Georgia" not in family, family


def test_the_browser_finds_the_site_icon(seeded_live_server, page):
    response = page.request.get(f"{seeded_live_server.url}/favicon.ico")

    assert response.status == 200
    assert response.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file's signature
    page.goto(f"{seeded_live_server.url}/")
    linked = page.eval_on_selector_all('link[rel="icon"]', "links => links.map(l => l.href)")
    for href in linked:
        assert page.request.get(href).status == 200, href
