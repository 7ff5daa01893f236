"""``search=`` on the v2 and v3 pages APIs: finds text inside blocks, and no query breaks it."""

import pytest

pytestmark = pytest.mark.django_db

V2_POSTS = "/api/v2/pages/?type=blog.BlogPostPage"
V3_PAGES = "/api/v3/pages/?type=blog.BlogPostPage"

HOSTILE_QUERIES = ['"', 'a"b', 'twitch "', "a\x00b", "\u2028", "NEAR(", "*", "^a", "(", "x OR"]


def ids_in(answer):
    return [item["id"] for item in answer["items"]]


@pytest.mark.parametrize("listing", [V2_POSTS, V3_PAGES])
def test_search_finds_text_inside_a_study_card(client, seed_post, make_posts, listing):
    make_posts(2)

    answer = client.get(listing, {"search": "Journal of Pain Research"})

    assert answer.status_code == 200
    assert ids_in(answer.json()) == [seed_post.pk]


@pytest.mark.parametrize("listing", [V2_POSTS, V3_PAGES])
@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_no_search_text_makes_an_error(client, seed_post, listing, query):
    answer = client.get(listing, {"search": query})

    assert answer.status_code == 200, answer.content[:300]
    assert isinstance(answer.json()["items"], list)


@pytest.mark.parametrize("listing", [V2_POSTS, V3_PAGES])
def test_an_unmatched_quote_searches_the_words_around_it(client, seed_post, listing):
    answer = client.get(listing, {"search": 'twitch "'})

    assert ids_in(answer.json()) == [seed_post.pk]
