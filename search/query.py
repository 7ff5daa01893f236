"""
What a reader typed, turned into a search query that no input can break.

Wagtail's database backends hand parts of a query to the engine's own syntax (SQLite
FTS5 rejects an unmatched quote; PostgreSQL rejects NUL bytes), so the reader's text
is cleaned and split into phrases and plain words here, and never passed through raw.
"""

import re
import unicodedata

from wagtail.search.query import And, Phrase, PlainText

MAX_QUERY_LENGTH = 200
# Words that search engines treat as operators; typed by a reader they are ordinary words
# for the engine, but not worth highlighting in an excerpt.
OPERATOR_WORDS = {"AND", "OR", "NOT", "NEAR"}
WORD = re.compile(r"\w+")
# Single letters would mark half the excerpt.
MIN_HIGHLIGHT_LENGTH = 2


def clean_query_text(raw):
    """Control characters become spaces, whitespace is collapsed and the length is capped."""
    text = "".join(" " if unicodedata.category(char) in {"Cc", "Cs"} else char for char in raw)
    return " ".join(text.split())[:MAX_QUERY_LENGTH].strip()


def split_phrases(text):
    """(is_phrase, text) parts: "quoted words" are phrases; an unmatched quote is ignored."""
    parts = text.split('"')
    if len(parts) % 2 == 0:
        parts = parts[:-2] + [f"{parts[-2]} {parts[-1]}"]
    return [
        (position % 2 == 1, part.strip()) for position, part in enumerate(parts) if part.strip()
    ]


def build_search_query(text):
    """Every plain word and every phrase must appear; None when there is nothing to search."""
    tokens = [
        Phrase(part) if is_phrase else PlainText(part, operator="and")
        for is_phrase, part in split_phrases(text)
    ]
    if not tokens:
        return None
    return tokens[0] if len(tokens) == 1 else And(tokens)


def highlight_terms(text):
    """The words worth marking in an excerpt, longest first so the longest match wins."""
    words = {
        word.lower()
        for word in WORD.findall(text)
        if word not in OPERATOR_WORDS and len(word) >= MIN_HIGHLIGHT_LENGTH
    }
    return sorted(words, key=lambda word: (-len(word), word))
