import datetime
import io

from django.core.cache import caches

from wagtail.models import Site

import pytest

from blog.comments import notify, post_lookup
from blog.models import BlogIndexPage, BlogPostPage
from blog.seed import load_seed_content
from cms.api_cache import recent_responses
from tests.sqlite_turns import sqlite_cursors_taking_turns


@pytest.fixture(autouse=True)
def empty_cache():
    """Rendered pages, threads, content versions and the comment rules' counters live in
    caches, which outlive each test's database transaction: every test starts and ends
    without them."""
    for cache in caches.all():
        cache.clear()
    recent_responses.clear()
    post_lookup.forget()
    notify.forget_queued_sweep()
    yield
    for cache in caches.all():
        cache.clear()
    recent_responses.clear()
    post_lookup.forget()
    notify.forget_queued_sweep()


@pytest.fixture(scope="session")
def live_server(live_server):
    """pytest-django's live server, its request threads taking turns on the shared
    in-memory SQLite connection (tests/sqlite_turns.py says why)."""
    with sqlite_cursors_taking_turns():
        yield live_server


@pytest.fixture
def uncached_pages(settings):
    """For tests that measure what rendering a page costs, not what serving it from the
    whole-page cache costs."""
    settings.MIDDLEWARE = [
        name for name in settings.MIDDLEWARE if name != "cms.page_cache.PageCacheMiddleware"
    ]


@pytest.fixture
def seed_post(db):
    """The seed article, loaded the way `make run` loads it."""
    load_seed_content()
    return BlogPostPage.objects.get(slug="dry-needling-chronic-muscle-cramping")


@pytest.fixture
def blog_index(seed_post):
    return BlogIndexPage.objects.get()


@pytest.fixture
def site(seed_post):
    return Site.objects.get(is_default_site=True)


def build_post(index, number, **fields):
    """A small but complete post: a heading, a paragraph, a key-point list and a study card."""
    defaults = {
        "title": f"Generated post {number}",
        "slug": f"generated-post-{number}",
        "date": datetime.date(2025, 6, 1) + datetime.timedelta(days=number),
        "intro": f"Intro of generated post {number}.",
        "body": [
            ("heading", {"text": f"Section {number}", "level": "h2", "anchor": ""}),
            ("paragraph", f"<p>Paragraph of post {number}.</p>"),
            (
                "key_points",
                {"items": [{"lead": "Lead", "text": "<p>Point text.</p>"}]},
            ),
            (
                "study_card",
                {
                    "year": 2020,
                    "study_type": "other",
                    "journal": "Journal of Tests",
                    "population": "Adults",
                    "finding": "Something.",
                    "relevance": "Somewhat.",
                    "link": "",
                    "doi": "",
                },
            ),
        ],
    }
    defaults.update(fields)
    tags = defaults.pop("tags", [])
    post = index.add_child(instance=BlogPostPage(**defaults))
    if tags:
        post.tags.set(tags)
    post.save_revision().publish()
    return post


@pytest.fixture
def make_posts(blog_index):
    def make(count, start=1, **fields):
        return [build_post(blog_index, number, **fields) for number in range(start, start + count)]

    return make


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor-admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


def pytest_collection_modifyitems(config, items):
    """Browser tests need their own database transactions; keep them last so the fast suite
    reports first."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


def make_image(title):
    """A small real image with a credit, as an editor would upload one."""
    from django.core.files.images import ImageFile

    from PIL import Image

    from blog.models import ArticleImage

    buffer = io.BytesIO()
    Image.new("RGB", (320, 180), (40, 90, 140)).save(buffer, "JPEG")
    return ArticleImage.objects.create(
        title=title,
        file=ImageFile(buffer, name=f"{title.lower().replace(' ', '-')}.jpg"),
        credit=f"Credit for {title}",
    )


def image_block(image):
    return ("image", {"image": image, "alt": "", "caption": "", "credit": "", "source_url": ""})


@pytest.fixture
def make_illustrated_posts(blog_index):
    """Posts each with its own hero image and an image block with another image of its own:
    what a listing or the API must fetch without a query per post."""

    def make(count, start=1, **fields):
        posts = []
        for number in range(start, start + count):
            hero = make_image(f"Hero {number}")
            figure = make_image(f"Figure {number}")
            body = [("paragraph", f"<p>Post {number}.</p>"), image_block(figure)]
            posts.append(build_post(blog_index, number, hero_image=hero, body=body, **fields))
        return posts

    return make
