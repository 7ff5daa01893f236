"""The v2 pages and images endpoints, against the seed article."""

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from django.core.cache import cache, caches

from wagtail.models import Site

import pytest

from blog.models import Author
from blog.seed import HERO_IMAGE

pytestmark = pytest.mark.django_db

POSTS = "/api/v2/pages/?type=blog.BlogPostPage"


def body_of(client, post, **params):
    response = client.get(f"/api/v2/pages/{post.pk}/", params)
    assert response.status_code == 200
    return response.json()["body"]


def blocks_of_type(body, block_type):
    return [block for block in body if block["type"] == block_type]


def test_post_detail_exposes_post_fields(client, seed_post):
    data = client.get(f"/api/v2/pages/{seed_post.pk}/").json()

    assert data["meta"]["type"] == "blog.BlogPostPage"
    assert data["date"] == "2025-03-27"
    assert data["intro"].startswith("Chronic muscle cramping is a common condition")
    assert sorted(data["tags"]) == [
        "dry needling",
        "evidence review",
        "muscle cramps",
        "physical therapy",
    ]
    assert data["comments_enabled"] is True
    rendition = data["hero_image_rendition"]
    assert (rendition["width"], rendition["height"]) == (1200, 630)
    assert rendition["url"].endswith(".fill-1200x630.png")
    assert rendition["alt"] == seed_post.hero_image.description


def test_study_cards_are_typed_objects(client, seed_post):
    cards = blocks_of_type(body_of(client, seed_post), "study_card")

    assert [card["value"]["year"] for card in cards] == [2021, 2019, 2020]
    first = cards[0]["value"]
    assert first == {
        "year": 2021,
        "study_type": "systematic_review",
        "study_type_label": "Systematic review",
        "journal": "Journal of Orthopedic & Sports Physical Therapy",
        "population": "Patients with myofascial pain syndrome",
        "finding": (
            "Dry needling effectively reduced muscle pain and tightness in patients with "
            "myofascial pain syndrome."
        ),
        "relevance": (
            "While the review did not specifically focus on cramps, it suggests that dry "
            "needling may alleviate muscle hyperactivity associated with chronic cramping."
        ),
        "link": None,
        "doi": None,
    }
    assert all(card["id"] for card in cards)


def test_mechanisms_keep_their_order_and_numbers(client, seed_post):
    mechanisms = blocks_of_type(body_of(client, seed_post), "numbered_list")[0]["value"]["items"]

    assert [(item["number"], item["title"]) for item in mechanisms] == [
        (1, "Triggering a Local Twitch Response"),
        (2, "Reducing Nerve Hyperactivity"),
        (3, "Enhancing Blood Flow"),
        (4, "Decreasing Pain Sensitivity"),
    ]
    assert mechanisms[0]["text"].startswith("<p>The insertion of a needle")


def test_key_points_have_lead_and_text(client, seed_post):
    causes = blocks_of_type(body_of(client, seed_post), "key_points")[0]["value"]["items"]

    assert causes[0] == {
        "lead": "Dehydration and Electrolyte Imbalance",
        "text": (
            "<p>A lack of adequate fluid intake or deficiencies in minerals like magnesium, "
            "potassium, and calcium can trigger muscle cramps.</p>"
        ),
    }


def test_block_ids_are_the_seeded_ones(client, seed_post):
    body = body_of(client, seed_post)

    assert [block["id"] for block in body] == [block.id for block in seed_post.body]


def test_image_blocks_carry_renditions_credit_and_source(client, post_with_image):
    image_block = blocks_of_type(body_of(client, post_with_image), "image")[0]["value"]

    assert image_block["alt"] == HERO_IMAGE["description"]
    assert image_block["credit"] == "Freepik"
    assert image_block["source_url"].startswith("https://www.freepik.com/")
    assert image_block["caption"] == "Needles in the upper back"
    assert (image_block["width"], image_block["height"]) == (1600, 900)
    assert set(image_block["renditions"]) == {"small", "medium", "large"}
    small = image_block["renditions"]["small"]
    assert small["width"] == 480
    assert small["url"].endswith(".width-480.png")
    assert small["full_url"].startswith("http")


def test_rich_text_is_front_end_html_with_links_resolved(client, post_with_image):
    paragraph = blocks_of_type(body_of(client, post_with_image), "paragraph")[0]["value"]

    assert 'href="/blog/"' in paragraph
    assert "linktype" not in paragraph


def test_rich_text_format_can_be_asked_for(client, post_with_image):
    paragraph = blocks_of_type(
        body_of(client, post_with_image, rich_text_format="db_html"), "paragraph"
    )[0]["value"]
    assert 'linktype="page"' in paragraph

    markdown = blocks_of_type(
        body_of(client, post_with_image, rich_text_format="markdown"), "paragraph"
    )[0]["value"]
    assert "[the blog](/blog/)" in markdown


def test_unknown_rich_text_format_is_a_400(client, seed_post):
    response = client.get(f"/api/v2/pages/{seed_post.pk}/?rich_text_format=pdf")

    assert response.status_code == 400
    assert "rich_text_format must be one of" in response.json()["message"]


def test_listing_filters_fields_and_orders(client, make_posts, seed_post, blog_index):
    make_posts(3)

    newest_first = client.get(f"{POSTS}&order=-date&fields=date,intro").json()
    assert newest_first["meta"]["total_count"] == 4
    dates = [item["date"] for item in newest_first["items"]]
    assert dates == sorted(dates, reverse=True)
    assert "intro" in newest_first["items"][0]
    assert "body" not in newest_first["items"][0]

    children = client.get(f"{POSTS}&child_of={blog_index.pk}").json()
    assert children["meta"]["total_count"] == 4

    only_title = client.get(f"{POSTS}&fields=_,title").json()["items"][0]
    assert set(only_title) == {"id", "meta", "title"} or set(only_title) == {"title"}


def test_search_finds_the_seed_post(client, seed_post, make_posts):
    make_posts(2)

    found = client.get(f"{POSTS}&search=twitch").json()

    assert [item["id"] for item in found["items"]] == [seed_post.pk]


def test_find_by_html_path_redirects_to_the_post(client, seed_post):
    response = client.get(
        "/api/v2/pages/find/?html_path=/blog/dry-needling-chronic-muscle-cramping/"
    )

    assert response.status_code == 302
    assert response["Location"].startswith(f"http://testserver/api/v2/pages/{seed_post.pk}/")
    assert client.get(response["Location"]).json()["id"] == seed_post.pk


SERVED = "http://127.0.0.1:8301"


@pytest.fixture
def site_served_elsewhere(seed_post, settings):
    """What `make run PORT=8301` leaves: the Site at the address it serves, and no
    WAGTAILAPI_BASE_URL (dev and production settings set none unless asked to)."""
    settings.WAGTAILAPI_BASE_URL = None
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "127.0.0.1", 8301
    site.save()
    return seed_post


def follow(client, url):
    """Fetch an absolute URL from the API the way an app would, here through the test client."""
    assert url.startswith(f"{SERVED}/"), url
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}", HTTP_HOST="127.0.0.1:8301")


def test_api_links_follow_the_site_address(client, site_served_elsewhere):
    post = site_served_elsewhere
    get = {"HTTP_HOST": "127.0.0.1:8301"}
    listing = client.get(POSTS, **get).json()
    detail_url = listing["items"][0]["meta"]["detail_url"]
    assert detail_url == f"{SERVED}/api/v2/pages/{post.pk}/"
    assert follow(client, detail_url).json()["id"] == post.pk

    found = client.get(
        "/api/v2/pages/find/?html_path=/blog/dry-needling-chronic-muscle-cramping/", **get
    )
    assert found.status_code == 302
    assert follow(client, found["Location"]).json()["id"] == post.pk

    detail = follow(client, detail_url).json()
    assert detail["meta"]["html_url"] == f"{SERVED}{post.url}"
    image = client.get("/api/v2/images/", **get).json()["items"][0]
    assert follow(client, image["meta"]["detail_url"]).json()["id"] == post.hero_image.pk


def test_dev_and_production_settings_take_api_links_from_the_site_unless_told():
    """A fixed default (it was WAGTAILADMIN_BASE_URL, port 8000) sent apps to an address
    nothing served whenever the site ran anywhere else."""
    root = Path(__file__).resolve().parents[2]
    code = "from django.conf import settings as s; print(s.WAGTAILAPI_BASE_URL)"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("WAGTAILAPI_BASE_URL", "DJANGO_SETTINGS_MODULE")
    }

    def base_url(**extra):
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=root,
            env={**env, "DJANGO_SETTINGS_MODULE": "cms.settings.dev", **extra},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    assert base_url() == "None"
    assert base_url(WAGTAILAPI_BASE_URL="https://api.example.org") == "https://api.example.org"


def test_make_run_gives_image_links_the_address_it_serves(client, site_served_elsewhere, settings):
    """Rendition ``full_url`` (Wagtail builds it from WAGTAILADMIN_BASE_URL, as it does the
    admin links in moderators' e-mails) follows `make run HOST=… PORT=…` too."""
    root = Path(__file__).resolve().parents[2]
    commands = subprocess.run(
        ["make", "-n", "run", "HOST=127.0.0.1", "PORT=8301"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    (serve,) = [line for line in commands if " runserver " in line]
    environment = dict(word.split("=", 1) for word in serve.split() if "=" in word)
    assert environment["WAGTAILADMIN_BASE_URL"] == SERVED
    assert serve.endswith("runserver 127.0.0.1:8301")

    settings.WAGTAILADMIN_BASE_URL = environment["WAGTAILADMIN_BASE_URL"]
    post = client.get(
        f"/api/v2/pages/{site_served_elsewhere.pk}/", HTTP_HOST="127.0.0.1:8301"
    ).json()
    full_url = post["hero_image_rendition"]["full_url"]
    assert full_url.startswith(f"{SERVED}/media/images/")


def test_all_fields_include_the_authors(client, seed_post):
    physio = Author.objects.create(name="Dana Physio", credentials="PT, DPT")
    doctor = Author.objects.create(name="Sam Doctor")
    seed_post.authors.set([physio, doctor])
    seed_post.save_revision().publish()

    listed = client.get(f"{POSTS}&fields=*").json()["items"][0]
    detail = client.get(f"/api/v2/pages/{seed_post.pk}/").json()
    expected = [
        {"id": physio.pk, "name": "Dana Physio", "credentials": "PT, DPT"},
        {"id": doctor.pk, "name": "Sam Doctor", "credentials": ""},
    ]
    assert listed["authors"] == expected
    assert detail["authors"] == expected


def test_bad_listing_parameters_are_400s_not_500s(client, seed_post):
    assert client.get(f"{POSTS}&fields=nope").status_code == 400
    assert client.get("/api/v2/pages/?type=blog.Nope").status_code == 400
    assert client.get(f"{POSTS}&order=nope").status_code == 400
    assert client.get(f"{POSTS}&child_of=-3").status_code == 400


def test_images_expose_credit_and_source(client, seed_post):
    image = seed_post.hero_image
    listing = client.get("/api/v2/images/").json()
    assert listing["items"][0]["credit"] == "Freepik"

    detail = client.get(f"/api/v2/images/{image.pk}/").json()
    assert detail["credit"] == "Freepik"
    assert detail["source_url"] == image.source_url
    assert (detail["width"], detail["height"]) == (1600, 900)


def test_documents_endpoint_answers(client, seed_post):
    assert client.get("/api/v2/documents/").json()["meta"]["total_count"] == 0


@pytest.mark.parametrize(
    "path", [f"{POSTS}&fields=*", "/api/v2/pages/{post}/", "/api/v2/images/", "/api/v2/documents/"]
)
def test_answers_are_compact_json(client, seed_post, path):
    """Not Wagtail's four-space indentation: 40 % of a listing's bytes, and it kept the
    encoding in pure Python (cms/api_json.py)."""
    response = client.get(path.format(post=seed_post.pk))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert b"\n" not in response.content
    assert response.json()["meta"]


def test_listing_with_all_fields_uses_a_fixed_number_of_queries(
    client, make_illustrated_posts, django_assert_max_num_queries
):
    """50 posts, each with its own hero image and a figure in its body (rendition URLs for
    both), cost what one would: no query per post, per image, per rendition or per author."""
    make_illustrated_posts(50)
    url = f"{POSTS}&fields=*&limit=50"
    client.get(url)  # renditions are generated (and stored) on the first read

    cache.clear()
    # One of them counts the page's comments (a subquery per post would run for every
    # post an offset skips: docs/benchmarks.md, at scale), one reads the bodies'
    # stored representations (blog.rendered_bodies).
    with django_assert_max_num_queries(16):
        response = client.get(url)
    assert len(response.json()["items"]) == 50


def test_listing_reads_the_site_root_paths_once_and_writes_no_rendition(
    client, make_illustrated_posts, monkeypatch
):
    """Every post's ``html_url`` and hero rendition, without a cache round trip per post:
    Wagtail's ``html_url`` read the Sites' root paths from the cache for each page, and
    its ``get_rendition`` wrote each prefetched rendition back."""
    make_illustrated_posts(6)
    url = f"{POSTS}&fields=*"
    client.get(url)  # renditions are generated (and stored) on the first read
    cache.clear()
    reads, writes = [], []
    backend = caches["default"]
    real_get = backend.get
    monkeypatch.setattr(
        backend, "get", lambda key, *a, **k: reads.append(key) or real_get(key, *a, **k)
    )
    monkeypatch.setattr(backend, "set", lambda key, value, *a, **k: writes.append(key))
    monkeypatch.setattr(backend, "set_many", lambda values, *a, **k: writes.extend(values))

    items = client.get(url).json()["items"]

    assert len(items) == 7
    assert items[-1]["meta"]["html_url"] == "http://localhost/blog/generated-post-6/"
    assert items[-1]["hero_image_rendition"]["url"].startswith("/media/images/")
    assert reads.count("wagtail_site_root_paths") <= 1
    assert not [key for key in writes if key.startswith("wagtail-rendition")]


def test_listing_counts_comments_of_the_page_only_at_any_offset(client, make_posts):
    """As the v3 listing: an ``offset`` adds no work per skipped post."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.comments.conftest import make_comment

    posts = make_posts(8)
    make_comment(posts[0])
    make_comment(posts[0])

    def read(url):
        client.get(url)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return response.json()["items"], queries.captured_queries

    first, first_queries = read(f"{POSTS}&fields=comment_count&order=-date&limit=3")
    deep, deep_queries = read(f"{POSTS}&fields=comment_count&order=-date&limit=3&offset=5")

    assert len(deep_queries) == len(first_queries)
    for queries in (first_queries, deep_queries):
        counting = [q["sql"] for q in queries if 'FROM "comments_comment"' in q["sql"]]
        assert len(counting) == 1
        assert "OFFSET" not in counting[0]
    assert [item["comment_count"] for item in first] == [0, 0, 0]
    assert [(item["id"], item["comment_count"]) for item in deep][-1] == (posts[0].pk, 2)
