"""Post bodies kept rendered in the database (``blog.rendered_bodies``): the RSS feed and
the v2 listing answer byte for byte (JSON for JSON) what rendering every body gives, and
a stored rendering is never read once anything it shows has changed."""

from django.core.cache import cache

import pytest

from blog import api, feeds
from blog.models import ArticleImage, BlogPostPage
from blog.rendered_bodies import RenderedBody, renderer_files
from tests.conftest import build_post, image_block, make_image

pytestmark = pytest.mark.django_db

RSS = "/blog/feed/rss/"
LISTING = "/api/v2/pages/?type=blog.BlogPostPage&fields=*"


def rendered_every_time(posts, variant, render, images):
    """What the feed and the API did before bodies were stored."""
    return {post.pk: str(render(post)) for post in posts}


def get(client, url):
    cache.clear()  # the feed and API answer caches, so that bodies are looked up
    response = client.get(url)
    assert response.status_code == 200
    return response


def answers(client, monkeypatch, url):
    """The answer with every body rendered, then with the bodies stored, then read back."""
    with monkeypatch.context() as patched:
        patched.setattr(feeds, "rendered_bodies", rendered_every_time)
        patched.setattr(api, "rendered_bodies", rendered_every_time)
        rendered = get(client, url)
    assert not RenderedBody.objects.exists()
    storing = get(client, url)
    read = get(client, url)
    return rendered, storing, read


def forbid_rendering(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a stored body was rendered again")

    monkeypatch.setattr(BlogPostPage.body.field.stream_block, "render", refuse)
    monkeypatch.setattr(BlogPostPage.body.field.stream_block, "get_api_representation", refuse)


@pytest.fixture
def posts(seed_post, make_posts, make_illustrated_posts):
    """The seed article, plain generated posts and illustrated ones."""
    return [seed_post, *make_posts(3, start=20), *make_illustrated_posts(3)]


@pytest.mark.parametrize("url", [RSS, "/blog/feed/atom/"])
def test_feed_is_byte_identical_whether_bodies_are_rendered_or_read(
    url, posts, client, monkeypatch
):
    client.get(url)  # renditions are generated on the first read
    RenderedBody.objects.all().delete()

    rendered, storing, read = answers(client, monkeypatch, url)

    assert storing.content == rendered.content
    assert read.content == rendered.content
    assert RenderedBody.objects.filter(variant="html").count() == len(posts)
    forbid_rendering(monkeypatch)
    assert get(client, url).content == rendered.content


@pytest.mark.parametrize("rich_text_format", [None, "html", "db_html", "markdown"])
def test_v2_listing_is_the_same_json_whether_bodies_are_represented_or_read(
    rich_text_format, posts, client, monkeypatch
):
    url = LISTING + (f"&rich_text_format={rich_text_format}" if rich_text_format else "")
    client.get(url)
    RenderedBody.objects.all().delete()

    rendered, storing, read = answers(client, monkeypatch, url)

    assert storing.json() == rendered.json()
    assert read.content == rendered.content
    assert len(rendered.json()["items"]) == len(posts)
    variant = f"api:{rich_text_format or 'html'}"
    assert RenderedBody.objects.filter(variant=variant).count() == len(posts)
    forbid_rendering(monkeypatch)
    assert get(client, url).content == rendered.content


def test_listing_without_bodies_neither_renders_nor_stores_them(posts, client, monkeypatch):
    forbid_rendering(monkeypatch)
    items = get(client, "/api/v2/pages/?type=blog.BlogPostPage&fields=title").json()["items"]
    assert len(items) == len(posts)
    assert not RenderedBody.objects.exists()


def test_a_new_revision_of_a_post_is_shown(posts, client):
    post = posts[1]
    get(client, RSS), get(client, LISTING)
    post.body[1] = ("paragraph", "<p>Rewritten after review.</p>")
    post.save_revision().publish()

    assert "Rewritten after review." in get(client, RSS).content.decode()
    (item,) = [item for item in get(client, LISTING).json()["items"] if item["id"] == post.pk]
    assert {"type": "paragraph", "value": "<p>Rewritten after review.</p>"}.items() <= (
        item["body"][1].items()
    )


def test_a_change_to_an_image_a_body_shows_is_shown(posts, client):
    figure = ArticleImage.objects.get(title="Figure 2")
    get(client, RSS), get(client, LISTING)
    figure.credit = "Photographer renamed"
    figure.save()

    assert "Photographer renamed" in get(client, RSS).content.decode()
    credits = [
        block["value"]["credit"]
        for item in get(client, LISTING).json()["items"]
        for block in item["body"]
        if block["type"] == "image"
    ]
    assert "Photographer renamed" in credits


def test_a_deleted_image_leaves_the_body(posts, client):
    get(client, RSS), get(client, LISTING)
    ArticleImage.objects.get(title="Figure 3").delete()

    assert "Credit for Figure 3" not in get(client, RSS).content.decode()
    image_ids = [
        block["value"]["image_id"]
        for item in get(client, LISTING).json()["items"]
        for block in item["body"]
        if block["type"] == "image"
    ]
    assert None in image_ids


def test_renditions_made_again_are_the_ones_shown(posts, client):
    figure = ArticleImage.objects.get(title="Figure 1")
    get(client, RSS)
    figure.renditions.all().delete()

    content = get(client, RSS).content.decode()
    (rendition,) = figure.renditions.filter(filter_spec="width-800")
    assert rendition.url in content


def test_changed_settings_for_urls_are_shown(posts, client, settings):
    get(client, LISTING)
    settings.WAGTAILADMIN_BASE_URL = "https://cms.example.org"

    full_urls = [
        rendition["full_url"]
        for item in get(client, LISTING).json()["items"]
        for block in item["body"]
        if block["type"] == "image"
        for rendition in block["value"]["renditions"].values()
    ]
    assert full_urls
    assert all(url.startswith("https://cms.example.org/media/") for url in full_urls)


def test_bodies_linking_to_other_pages_are_rendered_every_time(posts, blog_index, client):
    target = posts[1]
    linking = build_post(
        blog_index,
        40,
        body=[("paragraph", f'<p>See <a linktype="page" id="{target.pk}">the other post</a>.</p>')],
    )
    get(client, RSS), get(client, LISTING)
    assert not RenderedBody.objects.filter(post=linking).exists()
    target.slug = "moved-elsewhere"
    target.save_revision().publish()

    assert 'href="http://localhost/blog/moved-elsewhere/"' in get(client, RSS).content.decode()
    (item,) = [item for item in get(client, LISTING).json()["items"] if item["id"] == linking.pk]
    assert "/blog/moved-elsewhere/" in item["body"][0]["value"]


def test_a_change_of_renderer_renders_again(posts, client, monkeypatch):
    from blog import rendered_bodies

    first = get(client, RSS).content
    digests = set(RenderedBody.objects.values_list("digest", flat=True))
    monkeypatch.setattr(rendered_bodies, "renderer_source_digest", lambda: "another deploy")

    assert get(client, RSS).content == first
    assert digests.isdisjoint(RenderedBody.objects.values_list("digest", flat=True))


def test_the_renderer_covers_the_block_code_and_every_block_template(settings):
    names = {path.name for path in renderer_files()}
    assert {"blocks.py", "models.py", "richtext.html"} <= names
    for template in [
        "callout.html",
        "heading.html",
        "image.html",
        "key_point_list.html",
        "numbered_list.html",
        "paragraph.html",
        "quote.html",
        "study_card.html",
    ]:
        assert template in names


def test_a_figure_added_to_a_post_is_shown(posts, client):
    post = posts[1]
    get(client, RSS)
    figure = make_image("Late figure")
    post.body.append(image_block(figure))
    post.save_revision().publish()

    assert "Credit for Late figure" in get(client, RSS).content.decode()


def test_the_block_templates_show_their_value_and_nothing_of_the_page_or_request():
    """A stored rendering is keyed by the body, its images and the renderer, not by the
    page or the request it was first rendered for: a block template that showed, say,
    ``page.title`` would keep showing the old title from the table."""
    templates = [path for path in renderer_files() if path.suffix == ".html"]
    assert len(templates) == 9
    for path in templates:
        source = path.read_text()
        assert "page" not in source, path
        assert "request" not in source, path


def test_a_refused_write_still_answers_with_the_body(posts, client, monkeypatch):
    from blog import rendered_bodies

    refused = rendered_bodies.UPSERT.replace("blog_renderedbody", "no_such_table")
    monkeypatch.setattr(rendered_bodies, "UPSERT", refused)
    content = get(client, RSS).content.decode()
    assert "Credit for Figure 1" in content
    assert "Journal of Pain Research" in content
    assert not RenderedBody.objects.exists()
