"""An excerpt reads a post's passages only as far as it needs, and says what it would say
had it read them all."""

import pytest

from search.excerpts import PASSAGE_SEPARATOR, highlighted_excerpt, post_passages
from search.query import highlight_terms


@pytest.mark.parametrize(
    "query",
    [
        "debilitating",  # the intro
        "twitch",  # a numbered point, midway
        "direct effects",  # the callout, near the end
        "cramps magnesium",
        "xylophone",  # found nowhere: the start of the post
        "",
        "a",  # no word worth marking
    ],
)
def test_read_passage_by_passage_as_if_joined_first(seed_post, query):
    terms = highlight_terms(query)
    all_at_once = PASSAGE_SEPARATOR.join(post_passages(seed_post))
    assert highlighted_excerpt(post_passages(seed_post), terms) == highlighted_excerpt(
        [all_at_once], terms
    )


def test_short_passages_are_joined_until_the_excerpt_is_full():
    passages = ["Intro.", "Heading", "Cramps come at night.", "x" * 300]
    assert highlighted_excerpt(iter(passages), ["cramps"]) == (
        "Intro. · Heading · <mark>Cramps</mark> come at night. ·…"
    )
    assert highlighted_excerpt(iter([]), ["cramps"]) == ""


def blocks_read(post):
    return {child.block_type for child in post.body._bound_blocks if child is not None}


def test_an_excerpt_reads_no_block_past_the_text_it_shows(seed_post):
    """The seed article's intro holds "debilitating" and is longer than an excerpt: no block
    is turned into a value. "twitch" is in its first numbered list, before any study card."""
    highlighted_excerpt(post_passages(seed_post), highlight_terms("debilitating"))
    assert blocks_read(seed_post) == set()
    highlighted_excerpt(post_passages(seed_post), highlight_terms("twitch"))
    assert "numbered_list" in blocks_read(seed_post)
    assert "study_card" not in blocks_read(seed_post)
