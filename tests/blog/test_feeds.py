"""RSS and Atom feeds of posts, and each post's comments feed: valid XML, full content,
absolute links, approved comments only and never a reader's email or IP address."""

import itertools

import pytest
from defusedxml import ElementTree

from blog.comments.models import Comment
from blog.comments.sanitize import sanitize_comment

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_numbers = itertools.count(1)


def parse(response):
    assert response.status_code == 200
    return ElementTree.fromstring(response.content)


def add_comment(post, status, body, email, ip_address):
    number = next(_numbers)
    comment = Comment(
        post=post,
        status=status,
        author_name=f"Reader {number}",
        author_email=email,
        body=body,
        body_html=sanitize_comment(body),
        ip_address=ip_address,
        fingerprint=f"feed-test-{number}",
    )
    comment.save()
    comment.set_thread_position()
    return comment


def test_rss_lists_live_posts_with_full_content(seed_post, make_posts, client):
    (draft,) = make_posts(1, start=9)
    draft.unpublish()
    make_posts(2)
    response = client.get("/blog/feed/rss/")
    assert response["Content-Type"].startswith("application/rss+xml")
    channel = parse(response).find("channel")
    items = channel.findall("item")
    assert [item.findtext("title") for item in items] == [
        "Generated post 2",
        "Generated post 1",
        seed_post.title,
    ]
    seed_item = items[2]
    assert (
        seed_item.findtext("link") == "http://localhost/blog/dry-needling-chronic-muscle-cramping/"
    )
    assert seed_item.findtext("description") == seed_post.intro
    content = seed_item.findtext(f"{CONTENT}encoded")
    for text in ["Journal of Pain Research", "local twitch response", "Electrolyte Imbalance"]:
        assert text in content
    assert '<img src="http://localhost/media/images/' in content
    enclosure = seed_item.find("enclosure")
    assert enclosure.get("url").startswith("http://localhost/media/images/")
    assert enclosure.get("type") == "image/png"
    assert int(enclosure.get("length")) > 0
    assert {category.text for category in seed_item.findall("category")} >= {"dry needling"}


def test_atom_has_summary_and_full_content(seed_post, client):
    response = client.get("/blog/feed/atom/")
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = parse(response)
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == seed_post.title
    assert entry.findtext(f"{ATOM}summary") == seed_post.intro
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert "Clinical Journal of Sports Medicine" in content.text
    assert entry.findtext(f"{ATOM}published").startswith("2025-03-27")


def test_feed_content_links_are_absolute(seed_post, blog_index, client):
    from tests.conftest import build_post

    build_post(
        blog_index,
        1,
        body=[("paragraph", f'<p>See <a linktype="page" id="{seed_post.pk}">the seed</a>.</p>')],
    )
    content = (
        parse(client.get("/blog/feed/rss/")).find("channel/item").findtext(f"{CONTENT}encoded")
    )
    assert 'href="http://localhost/blog/dry-needling-chronic-muscle-cramping/"' in content
    assert 'href="/' not in content and 'src="/' not in content


def test_pages_link_to_the_feeds(seed_post, client):
    html = client.get(seed_post.url).content.decode()
    assert '<link rel="alternate" type="application/rss+xml"' in html
    assert 'href="/blog/feed/rss/"' in html
    assert 'href="/blog/feed/atom/"' in html


def test_comments_feed_has_approved_comments_only_and_no_personal_data(seed_post, client):
    add_comment(
        seed_post,
        "approved",
        "Helped my calves. <script>x</script>",
        "a@example.com",
        "203.0.113.7",
    )
    add_comment(seed_post, "pending", "Not yet moderated", "b@example.com", "203.0.113.8")
    add_comment(seed_post, "spam", "Buy pills", "c@example.com", "203.0.113.9")
    response = client.get(f"/blog/feed/comments/{seed_post.slug}/")
    body = response.content.decode()
    items = parse(response).findall("channel/item")
    assert len(items) == 1
    assert "Helped my calves." in items[0].findtext("description")
    assert "<script>" not in items[0].findtext("description")
    assert items[0].findtext("{http://purl.org/dc/elements/1.1/}creator").startswith("Reader ")
    assert items[0].findtext("link").startswith(f"http://localhost{seed_post.url}#comment-")
    for private in ["@example.com", "203.0.113", "Not yet moderated", "Buy pills"]:
        assert private not in body


def test_feeds_contain_no_email_addresses(seed_post, client):
    add_comment(seed_post, "approved", "Seen in the feed.", "feed.reader@example.com", None)
    add_comment(seed_post, "pending", "Not seen.", "held.reader@example.com", "203.0.113.9")
    for url in ["/blog/feed/rss/", "/blog/feed/atom/", f"/blog/feed/comments/{seed_post.slug}/"]:
        assert "@" not in client.get(url).content.decode()
    assert "Seen in the feed." in client.get(f"/blog/feed/comments/{seed_post.slug}/").text


def test_rss_feeds_have_what_rss_2_requires(seed_post, client):
    add_comment(seed_post, "approved", "A comment.", "a@example.com", None)
    for url in ["/blog/feed/rss/", f"/blog/feed/comments/{seed_post.slug}/"]:
        rss = parse(client.get(url))
        assert rss.tag == "rss"
        assert rss.get("version") == "2.0"
        channel = rss.find("channel")
        for required in ("title", "link", "description"):
            assert channel.findtext(required), (url, required)
        items = channel.findall("item")
        assert items, url
        for item in items:
            assert item.findtext("title") or item.findtext("description"), url
            assert item.findtext("guid") and item.findtext("pubDate"), url


def test_the_atom_feed_has_what_rfc_4287_requires(seed_post, client):
    feed = parse(client.get("/blog/feed/atom/"))
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert feed.findtext(f"{ATOM}{required}"), required
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    feed_has_author = feed.find(f"{ATOM}author") is not None
    for entry in feed.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated"):
            assert entry.findtext(f"{ATOM}{required}"), required
        assert feed_has_author or entry.find(f"{ATOM}author") is not None


@pytest.mark.parametrize("slug", ["no-such-post", "generated-post-1"])
def test_comments_feed_of_a_missing_or_draft_post_is_404(seed_post, make_posts, client, slug):
    (draft,) = make_posts(1)
    draft.unpublish()
    assert client.get(f"/blog/feed/comments/{slug}/").status_code == 404


@pytest.mark.parametrize("url", ["/blog/feed/rss/", "/blog/feed/atom/"])
def test_posts_feeds_cost_the_same_queries_for_two_illustrated_posts_as_for_six(
    url, seed_post, make_illustrated_posts, client, settings
):
    """Each entry renders its whole body: the figures of all entries are fetched with
    their renditions at once, not in a query per post. The entries are bounded by
    BLOG_FEED_ITEMS whatever the number of posts."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.BLOG_FEED_ITEMS = 5

    def queries_of_feed():
        client.get(url)  # renditions are generated on the first read
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response

    make_illustrated_posts(2)
    few, _ = queries_of_feed()
    make_illustrated_posts(4, start=3)
    many, response = queries_of_feed()

    assert many == few
    root = parse(response)
    entries = root.findall("channel/item") or root.findall(f"{ATOM}entry")
    assert len(entries) == 5
    assert "Credit for Figure 6" in response.content.decode()  # the newest figure, rendered
