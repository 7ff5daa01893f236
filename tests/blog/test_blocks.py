"""Each body block renders, validates and survives a save/load round trip."""

import datetime

from wagtail import blocks as wagtail_blocks

import pytest
from bs4 import BeautifulSoup

from blog.blocks import (
    ArticleBodyBlock,
    ArticleImageBlock,
    CalloutBlock,
    HeadingBlock,
    KeyPointListBlock,
    NumberedListBlock,
    ParagraphBlock,
    QuoteBlock,
    StudyCardBlock,
)

STUDY = {
    "year": 2020,
    "study_type": "randomized_controlled_trial",
    "journal": "Journal of Pain Research",
    "population": "Adults with chronic neck pain",
    "finding": "Less pain.",
    "relevance": "Did not focus on cramps specifically.",
    "link": "",
    "doi": "",
}


def clean(block, raw):
    return block.clean(block.to_python(raw))


def field_errors(block, raw):
    with pytest.raises(wagtail_blocks.StructBlockValidationError) as excinfo:
        clean(block, raw)
    return {name: error.messages for name, error in excinfo.value.block_errors.items()}


def roundtrip(block, raw):
    return block.get_prep_value(block.to_python(raw))


def soup(html):
    return BeautifulSoup(str(html), "html.parser")


class TestStudyCard:
    block = StudyCardBlock()

    def test_renders_as_a_card_with_its_citation(self):
        html = soup(self.block.render(self.block.to_python(STUDY)))
        card = html.select_one("article.study-card")
        assert card.select_one(".study-card__type").text == "Randomized controlled trial"
        assert card.select_one("cite").text == "Journal of Pain Research"
        facts = dict(
            zip(
                [dt.text for dt in card.select("dt")],
                [dd.text for dd in card.select("dd")],
                strict=True,
            )
        )
        assert facts == {
            "Population": "Adults with chronic neck pain",
            "Finding": "Less pain.",
            "How it relates": "Did not focus on cramps specifically.",
        }

    def test_a_card_without_a_journal_is_rejected_with_a_field_message(self):
        errors = field_errors(self.block, {**STUDY, "journal": ""})
        assert errors == {"journal": ["This field is required."]}

    @pytest.mark.parametrize("year", [3021, 1850, datetime.date.today().year + 2])
    def test_a_year_outside_the_plausible_range_is_rejected(self, year):
        errors = field_errors(self.block, {**STUDY, "year": year})
        assert list(errors) == ["year"]
        assert "Enter the year the study was published, between 1900 and" in errors["year"][0]

    def test_both_errors_are_reported_together(self):
        errors = field_errors(self.block, {**STUDY, "year": 3021, "journal": ""})
        assert set(errors) == {"year", "journal"}

    def test_next_years_volume_is_accepted(self):
        next_year = datetime.date.today().year + 1
        assert clean(self.block, {**STUDY, "year": next_year})["year"] == next_year

    def test_a_doi_is_normalised_and_linked_through_the_resolver(self):
        value = clean(self.block, {**STUDY, "doi": "https://doi.org/10.2147/JPR.S123456"})
        assert value["doi"] == "10.2147/JPR.S123456"
        assert value.citation_url == "https://doi.org/10.2147/JPR.S123456"
        link = soup(self.block.render(value)).select_one(".study-card__citation a")
        assert link["href"] == "https://doi.org/10.2147/JPR.S123456"

    def test_a_malformed_doi_is_rejected(self):
        errors = field_errors(self.block, {**STUDY, "doi": "not-a-doi"})
        assert list(errors) == ["doi"]

    def test_round_trip_and_api_shape(self):
        assert roundtrip(self.block, STUDY) == STUDY
        api = self.block.get_api_representation(self.block.to_python(STUDY))
        assert api["year"] == 2020 and isinstance(api["year"], int)
        assert api["study_type"] == "randomized_controlled_trial"
        assert api["relevance"] == STUDY["relevance"]
        assert api["link"] is None


class TestHeading:
    block = HeadingBlock()

    def test_anchor_comes_from_the_text_unless_set(self):
        value = self.block.to_python({"text": "How Does It Work?", "level": "h2", "anchor": ""})
        assert soup(self.block.render(value)).h2["id"] == "how-does-it-work"
        value = self.block.to_python({"text": "Reworded", "level": "h3", "anchor": "mechanisms"})
        assert soup(self.block.render(value)).h3["id"] == "mechanisms"

    def test_an_anchor_with_spaces_is_rejected_with_a_suggestion(self):
        errors = field_errors(self.block, {"text": "T", "level": "h2", "anchor": "My Anchor"})
        assert "my-anchor" in errors["anchor"][0]


def heading(text, anchor=""):
    return {"type": "heading", "value": {"text": text, "level": "h2", "anchor": anchor}}


def anchor_errors(raw_body):
    body_block = ArticleBodyBlock()
    with pytest.raises(wagtail_blocks.StreamBlockValidationError) as excinfo:
        body_block.clean(body_block.to_python(raw_body))
    return {
        index: error.block_errors["anchor"].messages[0]
        for index, error in excinfo.value.block_errors.items()
    }


class TestHeadingAnchorsInABody:
    def test_two_headings_that_would_share_an_anchor_are_rejected_with_a_suggestion(self):
        errors = anchor_errors([heading("Risks"), heading("Benefits"), heading("Risks!")])

        assert list(errors) == [2]
        assert "Another heading above already links as “#risks”" in errors[2]
        assert "“risks-3”" in errors[2]

    @pytest.mark.parametrize(("text", "anchor"), [("Comments", ""), ("Anything", "comment-12")])
    def test_an_anchor_the_post_page_uses_itself_is_rejected(self, text, anchor):
        errors = anchor_errors([heading(text, anchor)])

        assert "is taken by a part of the post page" in errors[0]

    def test_distinct_anchors_pass_and_set_anchors_resolve_a_clash(self):
        body_block = ArticleBodyBlock()
        raw = [heading("Risks"), heading("Risks", "risks-of-needling"), heading("Comments", "faq")]

        cleaned = body_block.clean(body_block.to_python(raw))

        assert [child.value.anchor_id for child in cleaned] == [
            "risks",
            "risks-of-needling",
            "faq",
        ]


class TestLists:
    def test_key_points_render_a_bold_lead_before_the_text(self):
        block = KeyPointListBlock()
        raw = {
            "items": [
                {"lead": "Poor Circulation", "text": "<p>Reduced blood flow.</p>"},
                {"lead": "", "text": "<p>No lead here.</p>"},
            ]
        }
        items = soup(block.render(block.to_python(raw))).select("ul.key-points > li")
        assert [item.strong.text if item.strong else None for item in items] == [
            "Poor Circulation:",
            None,
        ]
        assert "Reduced blood flow." in items[0].text
        stored = roundtrip(block, raw)
        assert [item["value"] for item in stored["items"]] == raw["items"]
        assert roundtrip(block, stored) == stored

    def test_numbered_points_render_an_ordered_list_in_order(self):
        block = NumberedListBlock()
        raw = {
            "items": [
                {"title": "First", "text": "<p>One.</p>"},
                {"title": "Second", "text": "<p>Two.</p>"},
            ]
        }
        html = soup(block.render(block.to_python(raw)))
        assert [li.strong.text for li in html.select("ol.numbered-points > li")] == [
            "First:",
            "Second:",
        ]
        api = block.get_api_representation(block.to_python(raw))
        assert [(item["number"], item["title"]) for item in api["items"]] == [
            (1, "First"),
            (2, "Second"),
        ]

    def test_an_empty_list_is_rejected(self):
        block = NumberedListBlock()
        with pytest.raises(wagtail_blocks.StructBlockValidationError):
            clean(block, {"items": []})

    def test_a_numbered_point_needs_a_title(self):
        block = NumberedListBlock()
        with pytest.raises(wagtail_blocks.StructBlockValidationError):
            clean(block, {"items": [{"title": "", "text": "<p>x</p>"}]})


class TestOtherBlocks:
    def test_paragraph(self):
        block = ParagraphBlock()
        html = soup(block.render(block.to_python("<p>Hello <b>there</b></p>")))
        assert html.select_one("div.prose p b").text == "there"

    def test_callout(self):
        block = CalloutBlock()
        raw = {"tone": "warning", "title": "Careful", "text": "<p>Sterile needles only.</p>"}
        html = soup(block.render(block.to_python(raw)))
        aside = html.select_one("aside.callout.callout--warning")
        assert aside.select_one(".callout__tone").get_text(strip=True) == "Warning"
        assert aside.select_one(".callout__title").get_text(strip=True) == "Careful"
        assert aside["aria-label"] == "Warning: Careful"
        assert "Sterile needles only." in aside.text
        assert roundtrip(block, raw) == raw

    @pytest.mark.parametrize(
        ("tone", "label"),
        [("note", "Note"), ("evidence", "Evidence caveat"), ("tip", "Tip"), ("warning", "Warning")],
    )
    def test_callout_shows_its_tone_as_a_visible_label(self, tone, label):
        """The tone's help text promises readers a label; the accessible name starts with
        the same words a sighted reader sees."""
        block = CalloutBlock()
        html = soup(block.render(block.to_python({"tone": tone, "title": "", "text": "<p>x</p>"})))
        aside = html.select_one(f"aside.callout--{tone}")
        assert aside.select_one(".callout__tone").get_text(strip=True) == label
        assert aside["aria-label"] == label
        assert aside.select_one(".callout__title") is None

    def test_quote(self):
        block = QuoteBlock()
        raw = {"quote": "Primum non nocere.", "attribution": "Hippocrates", "source_url": ""}
        html = soup(block.render(block.to_python(raw)))
        assert html.blockquote.text.strip() == "Primum non nocere."
        assert html.figcaption.text == "Hippocrates"


@pytest.mark.django_db
class TestImageBlock:
    def test_figure_with_caption_credit_and_source(self, seed_post):
        image = seed_post.hero_image
        block = ArticleImageBlock()
        raw = {"image": image.pk, "alt": "", "caption": "A session", "credit": "", "source_url": ""}
        value = block.to_python(raw)
        html = soup(block.render(value))
        assert html.figure.img["alt"] == image.description
        assert "A session" in html.figcaption.text
        credit_link = html.select_one("figcaption .credit a")
        assert credit_link.text == "Freepik"
        assert credit_link["href"] == image.source_url
        api = block.get_api_representation(value)
        assert api["credit"] == "Freepik"
        assert api["renditions"]["medium"]["width"] == 800
        assert api["renditions"]["medium"]["url"].startswith("/media/images/")

    def test_an_image_is_required(self):
        block = ArticleImageBlock()
        with pytest.raises(wagtail_blocks.StructBlockValidationError) as excinfo:
            clean(block, {"image": None, "alt": "", "caption": "", "credit": "", "source_url": ""})
        assert "image" in excinfo.value.block_errors


def test_every_block_type_has_a_template_icon_description_and_preview():
    for name, child in ArticleBodyBlock().child_blocks.items():
        assert child.meta.template.startswith("blog/blocks/"), name
        assert child.meta.icon, name
        assert child.get_description(), name
        if name != "image":
            assert child.is_previewable, name


def fields_of(block):
    """Every field an editor fills in, however deep (list items' fields included)."""
    children = getattr(block, "child_blocks", None)
    if children is None and hasattr(block, "child_block"):
        return fields_of(block.child_block)
    if children is None:
        return [block]
    return [field for child in children.values() for field in fields_of(child)]


def test_every_field_an_editor_fills_in_says_what_goes_in_it():
    for name, child in ArticleBodyBlock().child_blocks.items():
        for field in fields_of(child):
            assert field.field.help_text, f"{name}.{field.name} has no help text"
