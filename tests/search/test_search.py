"""Search: every block's text is found, excerpts are marked and escaped, no query breaks it."""

import pytest
from bs4 import BeautifulSoup

from blog.models import ArticleImage, BlogPostPage
from search.excerpts import highlighted_excerpt
from search.query import build_search_query, clean_query_text, highlight_terms
from tests.conftest import build_post


def found_titles(response):
    html = BeautifulSoup(response.content, "html.parser")
    return [a.text for a in html.select(".search-result__title a")]


def search_titles(query):
    return [post.title for post in BlogPostPage.objects.live().search(build_search_query(query))]


# Text from each part of the seed article, and the block (or field) it lives in.
SEED_TEXT_BY_PART = [
    ("title", "Effective"),
    ("intro", "debilitating"),
    ("tag", "evidence review"),
    ("heading block", "Scientific Evidence Supporting"),
    ("paragraph block", "myofascial trigger points"),
    ("key-point lead", "Electrolyte Imbalance"),
    ("key-point text", "magnesium potassium"),
    ("numbered-point title", "local twitch response"),
    ("numbered-point text", "vasodilation"),
    ("study card journal", "Journal of Pain Research"),
    ("study card population", "Athletes experiencing"),
    ("study card finding", "spasms"),
    ("study card relevance", "specifically focus"),
    ("study card type", "Systematic review"),
    ("callout text", "direct effects"),
]


@pytest.mark.parametrize(("part", "text"), SEED_TEXT_BY_PART)
def test_seed_post_is_found_by_text_in_every_part(seed_post, client, part, text):
    response = client.get("/search/", {"q": text})
    assert response.status_code == 200
    assert found_titles(response) == [seed_post.title], part


def test_phrases_match_as_phrases(seed_post):
    assert search_titles('"local twitch response"') == [seed_post.title]
    assert search_titles('"response twitch local"') == []


def test_quote_and_image_blocks_are_indexed(seed_post, blog_index):
    image = ArticleImage.objects.get()
    build_post(
        blog_index,
        1,
        body=[
            ("quote", {"quote": "Zymurgy is older than medicine.", "attribution": "Ada Brewer"}),
            ("image", {"image": image, "alt": "", "caption": "A sleepy quokka", "credit": ""}),
        ],
    )
    assert search_titles("zymurgy") == ["Generated post 1"]
    assert search_titles("Brewer") == ["Generated post 1"]
    assert search_titles("quokka") == ["Generated post 1"]


def test_heading_levels_are_not_searchable_words(seed_post):
    """ "Section (H2)" is a setting, not text: it must not make every post match "section"."""
    assert search_titles("Section") == []


@pytest.mark.parametrize("word", ["caveat", "unspecified"])
def test_settings_readers_do_not_see_are_not_searchable_words(seed_post, word):
    """The callout's tone ("Evidence caveat") and the "Other or unspecified study" type
    (shown as "Study") are choices an editor made, not words of the article."""
    assert search_titles(word) == []


def test_publishing_indexes_and_unpublishing_hides(seed_post, blog_index):
    post = build_post(blog_index, 1, intro="Axolotls regrow limbs.", tags=["regeneration"])
    assert search_titles("axolotls") == [post.title]
    assert search_titles("regeneration") == [post.title]
    post.unpublish()
    assert search_titles("axolotls") == []


def test_results_have_a_marked_excerpt_from_the_matching_block(seed_post, client):
    response = client.get("/search/", {"q": "vasodilation"})
    excerpt = BeautifulSoup(response.content, "html.parser").select_one(".search-result__excerpt")
    assert [mark.text for mark in excerpt.select("mark")] == ["vasodilation"]
    assert "improve circulation" in excerpt.text


def test_excerpt_escapes_page_text_and_query(seed_post, blog_index, client):
    build_post(
        blog_index,
        1,
        body=[("paragraph", "<p>Ferrets &lt;script&gt;alert(1)&lt;/script&gt; sleep.</p>")],
    )
    response = client.get("/search/", {"q": "ferrets <script>alert(2)</script>"})
    content = response.content.decode()
    assert "<script>alert" not in content
    assert response.status_code == 200
    response = client.get("/search/", {"q": "ferrets"})
    excerpt = BeautifulSoup(response.content, "html.parser").select_one(".search-result__excerpt")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in excerpt.decode_contents()
    assert excerpt.select("script") == []
    assert [mark.text for mark in excerpt.select("mark")] == ["Ferrets"]


def test_excerpt_marks_stemmed_forms_and_escapes_terms():
    html = highlighted_excerpt(["Cramping & cramps <b>differ</b>."], highlight_terms("cramps <b>"))
    assert html == ("<mark>Cramping</mark> &amp; <mark>cramps</mark> &lt;b&gt;differ&lt;/b&gt;.")


def test_results_are_paginated(seed_post, make_posts, client):
    make_posts(12, intro="Hedgehogs hibernate.")
    first = client.get("/search/", {"q": "hedgehogs"})
    assert len(found_titles(first)) == 10
    assert "12 posts found" in first.content.decode()
    second = client.get("/search/", {"q": "hedgehogs", "page": 2})
    assert len(found_titles(second)) == 2
    assert not set(found_titles(first)) & set(found_titles(second))
    assert found_titles(client.get("/search/", {"q": "hedgehogs", "page": "x"})) == found_titles(
        first
    )
    assert found_titles(client.get("/search/", {"q": "hedgehogs", "page": 99})) == found_titles(
        second
    )


def test_no_results_page_is_honest_and_suggests(seed_post, client):
    response = client.get("/search/", {"q": "twitch xylophone"})
    html = BeautifulSoup(response.content, "html.parser")
    assert response.status_code == 200
    assert found_titles(response) == []
    assert "No posts found for “twitch xylophone”" in html.text
    assert [a.text for a in html.select(".search-suggestions a")] == ["twitch"]
    assert "dry needling" in [a.text for a in html.select(".no-results .tag-list a")]


def test_drafts_are_not_found(seed_post, make_posts, client):
    (draft,) = make_posts(1, intro="Platypus venom.")
    draft.unpublish()
    assert found_titles(client.get("/search/", {"q": "platypus"})) == []


NASTY_QUERIES = [
    '"',
    'a"b"c"',
    '""',
    "'",
    "l'eau",
    "AND",
    "OR NOT",
    "dry AND",
    "NOT dry",
    "dry OR needling",
    "*",
    "tw*",
    "(",
    ")",
    "(dry",
    "-",
    "dry -needling",
    "+dry",
    "NEAR(dry needling)",
    "title:dry",
    "a:b",
    "^",
    "{}",
    "[",
    "\\",
    "%",
    "_",
    "' OR 1=1 --",
    '"dry OR ("',
    "ü ñ 中文 😀",
    "dry\x00needling",
    "\x00",
    "\x01\x02\x1f",
    "x" * 10_000,
    "dry " * 500,
    '"' * 301,
    "   ",
]


@pytest.mark.parametrize("query", NASTY_QUERIES)
def test_no_query_breaks_search(seed_post, client, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200


def test_query_text_is_cleaned_and_capped():
    assert clean_query_text("dry\x00 \n needling\x1f") == "dry needling"
    assert len(clean_query_text("x" * 10_000)) == 200
    assert build_search_query('  "  " ') is None


def test_empty_query_shows_the_form_only(db, client):
    response = client.get("/search/")
    assert response.status_code == 200
    assert found_titles(response) == []
    assert "No posts found" not in response.content.decode()


def test_search_page_is_not_indexed_by_search_engines(db, client):
    assert (
        '<meta name="robots" content="noindex, follow">' in client.get("/search/").content.decode()
    )
