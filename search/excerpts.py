"""
A search result's excerpt: the passage around the first word the reader searched for,
escaped, with each match wrapped in <mark>.

The search engine stems words ("cramps" finds "cramping"), so a term matches any word
that starts with its stem; the rule is deliberately simple and errs on marking too much.
"""

import re
from itertools import chain

from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

EXCERPT_LENGTH = 240
CONTEXT_BEFORE_MATCH = 80
STEM_SUFFIXES = ("ing", "es", "ed", "s")
MIN_STEM_LENGTH = 4
PASSAGE_SEPARATOR = " · "


def stem(term):
    for suffix in STEM_SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= MIN_STEM_LENGTH:
            return term[: -len(suffix)]
    return term


def term_pattern(terms):
    stems = sorted({stem(term) for term in terms if term}, key=len, reverse=True)
    if not stems:
        return None
    alternatives = "|".join(re.escape(term) for term in stems)
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*", re.IGNORECASE)


def post_passages(post):
    """What a reader would recognise from the post: its intro, then the text of every block.

    Yielded one by one, so an excerpt reads only the blocks it reaches: the body's blocks
    are turned into values a block type at a time, as the stream is walked, and the text
    of a 20 KB body is most of what a page of results costs to make."""
    for passage in chain([post.intro], block_texts(post.body)):
        if passage and passage.strip():
            yield " ".join(passage.split())


def block_texts(body):
    """``StreamBlock.get_searchable_content``, one block at a time."""
    if not body.stream_block.search_index:
        return
    for child in body:
        yield from child.block.get_searchable_content(child.value)


def text_around_first_match(passages, pattern):
    """(text, first match): the passages joined, as far as an excerpt around the first
    match (or the start, without words to mark) needs; all of them when nothing matches."""
    text, first_match = "", None
    for passage in passages:
        searched_from = len(text)
        text = f"{text}{PASSAGE_SEPARATOR}{passage}" if text else passage
        if pattern is None:
            excerpt_from = 0
        else:
            first_match = first_match or pattern.search(text, searched_from)
            excerpt_from = first_match.start() if first_match else None
        if excerpt_from is not None and len(text) > excerpt_from + EXCERPT_LENGTH:
            break
    return text, first_match


def window(passage, match_start):
    """About EXCERPT_LENGTH characters of the passage, cut at spaces, starting a little
    before the match so the reader sees it in context."""
    start = max(0, match_start - CONTEXT_BEFORE_MATCH)
    if start:
        space = passage.find(" ", start, match_start)
        start = space + 1 if space != -1 else start
    end = start + EXCERPT_LENGTH
    if end < len(passage):
        space = passage.rfind(" ", start, end)
        end = space if space > match_start else end
    else:
        end = len(passage)
    return passage[start:end], start > 0, end < len(passage)


def highlighted_excerpt(passages, terms):
    """Safe HTML: the text around the first match (or the start, when no word matches
    literally), every character escaped and every match in <mark>. Passages are joined, so a
    match in a short heading still shows the sentences after it."""
    pattern = term_pattern(terms)
    text, first_match = text_around_first_match(passages, pattern)
    if not text:
        return ""
    text, cut_before, cut_after = window(text, first_match.start() if first_match else 0)
    pieces = ["…"] if cut_before else []
    position = 0
    for match in pattern.finditer(text) if pattern is not None else ():
        pieces.append(conditional_escape(text[position : match.start()]))
        pieces.append(f"<mark>{conditional_escape(match.group())}</mark>")
        position = match.end()
    pieces.append(conditional_escape(text[position:]))
    if cut_after:
        pieces.append("…")
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of reader or page text is escaped
