"""The HTML-to-blocks recognizer on its own: WordPress markup in, body blocks out."""

from pathlib import Path

from blog.blocks import ArticleBodyBlock
from blog.importers.blocks_from_html import blocks_from_html, recognize_study
from blog.seed import POST

from .seed_markup import seed_article

DATA = Path(__file__).parent / "data"


def types(conversion):
    return [block_type for block_type, _ in conversion.blocks]


def values(conversion, block_type):
    return [value for kind, value in conversion.blocks if kind == block_type]


def seed_values(block_type):
    return [value for kind, value in POST["body"] if kind == block_type]


def test_the_seed_article_from_the_block_editor_becomes_the_seed_blocks():
    _, content = seed_article()
    conversion = blocks_from_html(content)

    assert conversion.take_intro() == POST["intro"]
    assert types(conversion) == [block_type for block_type, _ in POST["body"]]
    leads = [[i["lead"] for i in v["items"]] for v in values(conversion, "key_points")]
    assert leads == [[i["lead"] for i in v["items"]] for v in seed_values("key_points")]
    titles = [[i["title"] for i in v["items"]] for v in values(conversion, "numbered_list")]
    assert titles == [[i["title"] for i in v["items"]] for v in seed_values("numbered_list")]
    studies = [(s["year"], s["study_type"], s["journal"]) for s in values(conversion, "study_card")]
    assert studies == [
        (s["year"], s["study_type"], s["journal"]) for s in seed_values("study_card")
    ]
    # Down to the words: populations, findings and the caveat callout are the seed's own.
    assert conversion.blocks == list(POST["body"])
    assert conversion.study_candidates == []
    assert conversion.removed == []


def test_the_blocks_made_are_valid_article_blocks():
    _, content = seed_article()
    conversion = blocks_from_html(content)
    conversion.take_intro()
    body = ArticleBodyBlock()
    body.clean(body.to_python([{"type": t, "value": v} for t, v in conversion.blocks]))


CLASSIC = (DATA / "classic-editor-post.html").read_text()


def test_classic_editor_html_becomes_typed_blocks():
    conversion = blocks_from_html(CLASSIC)

    assert types(conversion) == [
        "heading",
        "paragraph",
        "study_card",
        "paragraph",
        "key_points",
        "numbered_list",
        "image",
        "paragraph",
        "quote",
        "paragraph",
        "heading",
        "paragraph",
    ]
    heading = conversion.blocks[0][1]
    assert heading == {"text": "Why it matters", "level": "h2", "anchor": "why"}
    assert conversion.blocks[1][1] == (
        "<p>Dry needling is <b>popular</b>.<br> It is done by <i>trained</i> people.</p>"
    )
    card = conversion.blocks[2][1]
    assert (card["year"], card["study_type"], card["journal"]) == (
        2018,
        "cohort_observational",
        "British Journal of Sports Medicine",
    )
    assert card["population"] == "Runners with calf cramps"
    assert conversion.study_candidates == [
        "A 2017 study reported by a newspaper said things changed."
    ]
    assert values(conversion, "key_points")[0]["items"] == [
        {"lead": "Cost", "text": "<p>usually a few sessions.</p>"},
        {"lead": "Time", "text": "<p>half an hour each.</p>"},
    ]
    assert [i["title"] for i in values(conversion, "numbered_list")[0]["items"]] == [
        "Insert the needle",
        "Wait",
    ]
    image = values(conversion, "image")[0]
    assert image["image"].attachment_id == "41"
    assert (image["alt"], image["caption"]) == ("A calf muscle", "The calf, from behind")
    assert values(conversion, "quote")[0]["attribution"] == "A physiotherapist"
    # The repeated heading gets an anchor of its own, so both links lead somewhere.
    assert conversion.blocks[10][1]["anchor"] == "why-2"


def test_nothing_executes_and_what_was_removed_is_listed():
    conversion = blocks_from_html(CLASSIC)
    html = "".join(value for kind, value in conversion.blocks if kind == "paragraph")

    assert "script" not in html and "alert" not in html
    assert "onclick" not in html and "javascript:" not in html
    assert '<a href="https://example.org/">there</a>' in html
    assert '<a href="https://www.youtube.com/watch?v=abc123">' in html
    assert '<a href="https://player.example.com/v/1">' in html
    assert "<li>Session · Price</li><li>First · 60</li>" in html
    assert "[sic]" in html and "gallery" not in html
    assert "<script> element" in conversion.removed
    assert "onclick handler on <p>" in conversion.removed
    assert "javascript: link" in conversion.removed
    assert 'shortcode [gallery ids="1,2,3"]' in conversion.removed
    assert conversion.embeds == [
        "https://www.youtube.com/watch?v=abc123",
        "https://player.example.com/v/1",
    ]


def test_block_editor_image_embed_and_group_callout():
    content = (DATA / "block-editor-media.html").read_text()
    conversion = blocks_from_html(content)

    assert types(conversion) == ["image", "paragraph", "callout"]
    assert values(conversion, "image")[0]["image"].attachment_id == "77"
    assert values(conversion, "image")[0]["caption"] == "A fine needle"
    assert values(conversion, "callout")[0] == {
        "tone": "warning",
        "title": "Careful",
        "text": "<p>Not during pregnancy.</p>",
    }


def test_an_unstorable_image_becomes_a_visible_link_not_a_placeholder():
    conversion = blocks_from_html('<p><img src="https://old.example.com/a.jpg" alt="A"></p>')
    conversion.resolve_images(lambda reference: None)
    assert conversion.blocks == [
        ("paragraph", '<p>Image not imported: <a href="https://old.example.com/a.jpg">A</a></p>')
    ]


def test_a_study_without_its_population_is_not_a_card():
    assert (
        recognize_study(
            "A 2020 randomized controlled trial in the Journal of Pain Research showed benefits."
        )
        is None
    )
    # A card the editor could not save is no card: the year must be one a study can have.
    assert (
        recognize_study(
            "A 2099 study in the Journal of Pain Research found that pain fell in adults."
        )
        is None
    )
    card = recognize_study(
        "A 2022 meta-analysis in The Lancet found that pain fell in adults with cramps.",
        ["https://doi.org/10.1016/S0140-6736(22)00001-1"],
    )
    assert card["study_type"] == "systematic_review"
    assert card["journal"] == "The Lancet"
    assert card["doi"] == "10.1016/S0140-6736(22)00001-1"
