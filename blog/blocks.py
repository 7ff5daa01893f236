"""
The blocks an evidence-based article is made of.

Each block has its own template under ``templates/blog/blocks/``, a preview value
so editors see what it looks like in the block picker, and an API representation
that an app can render without guessing (typed fields, no bare ids).
"""

import contextvars
import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.functional import cached_property
from django.utils.text import slugify

from wagtail import blocks
from wagtail.images import get_image_model
from wagtail.images.blocks import ImageChooserBlock
from wagtail.images.models import SourceImageIOError
from wagtail.rich_text import RichText

INLINE_RICH_TEXT_FEATURES = ["bold", "italic", "link", "superscript", "subscript"]
PARAGRAPH_RICH_TEXT_FEATURES = [
    "bold",
    "italic",
    "link",
    "document-link",
    "ol",
    "ul",
    "superscript",
    "subscript",
]

EARLIEST_STUDY_YEAR = 1900
DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")


def latest_study_year():
    """A study can be dated at most next year (accepted papers carry next year's volume)."""
    return datetime.date.today().year + 1


class HeadingValue(blocks.StructValue):
    @cached_property
    def anchor_id(self):
        """Stable across edits of other blocks: derived from the text unless the editor set one."""
        return self.get("anchor") or slugify(self.get("text", "")) or "section"


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(max_length=200, help_text="The heading as readers see it.")
    level = blocks.ChoiceBlock(
        choices=[("h2", "Section (H2)"), ("h3", "Subsection (H3)")],
        default="h2",
        help_text="Sections appear in the table of contents; subsections do not.",
        search_index=False,
    )
    anchor = blocks.CharBlock(
        required=False,
        max_length=80,
        search_index=False,
        help_text=(
            "Optional link target (#anchor). Left empty, it is made from the text; set it to keep "
            "links working if you reword the heading."
        ),
    )

    def clean(self, value):
        value = super().clean(value)
        anchor = value.get("anchor")
        if anchor and slugify(anchor) != anchor:
            raise blocks.StructBlockValidationError(
                block_errors={
                    "anchor": ValidationError(
                        "Use lowercase letters, numbers and hyphens only, for example "
                        f"“{slugify(anchor) or 'section-title'}”."
                    )
                }
            )
        return value

    def get_api_representation(self, value, context=None):
        return {"text": value["text"], "level": value["level"], "anchor": value.anchor_id}

    class Meta:
        icon = "title"
        label = "Heading"
        template = "blog/blocks/heading.html"
        value_class = HeadingValue
        form_classname = "struct-block heading-block"
        description = "A section heading; H2 headings make up the table of contents."
        preview_value = {"text": "How does dry needling work?", "level": "h2"}


class ParagraphBlock(blocks.RichTextBlock):
    def __init__(self, **kwargs):
        kwargs.setdefault("features", PARAGRAPH_RICH_TEXT_FEATURES)
        kwargs.setdefault(
            "help_text",
            "Running text. Use a key-point list, numbered points or a study card where the "
            "article has one, so apps and search engines see its structure.",
        )
        super().__init__(**kwargs)

    class Meta:
        icon = "pilcrow"
        label = "Paragraph"
        template = "blog/blocks/paragraph.html"
        description = "Body text: one or more paragraphs with links, emphasis and simple lists."
        preview_value = RichText(
            "<p>Dry needling is a technique performed by trained healthcare professionals, "
            "including <b>physical therapists</b> and chiropractors.</p>"
        )


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock(help_text="The words quoted, without quotation marks.")
    attribution = blocks.CharBlock(required=False, help_text="Who said or wrote it.")
    source_url = blocks.URLBlock(required=False, help_text="Where the quote can be checked.")

    class Meta:
        icon = "openquote"
        label = "Quote"
        template = "blog/blocks/quote.html"
        description = "A quotation set apart from the text, with who said it."
        preview_value = {
            "quote": "Further research is needed to determine the direct effects of dry needling.",
            "attribution": "Evidence Notes editors",
        }


class CalloutValue(blocks.StructValue):
    @property
    def tone_label(self):
        """The tone as readers see it; read from the block's choices, which the template
        looping over the choice field's own choices did at about 0.3 ms a callout."""
        return dict(CalloutBlock.TONES).get(self.get("tone"), "")


class CalloutBlock(blocks.StructBlock):
    TONES = [
        ("note", "Note"),
        ("evidence", "Evidence caveat"),
        ("tip", "Tip"),
        ("warning", "Warning"),
    ]

    tone = blocks.ChoiceBlock(
        choices=TONES,
        default="note",
        help_text="Sets the colour and the label readers (and screen readers) see.",
        # A search for "caveat" or "tip" should not find every post with such a box.
        search_index=False,
    )
    title = blocks.CharBlock(
        required=False,
        max_length=120,
        help_text="Optional, for example “What the evidence does not show yet”.",
    )
    text = blocks.RichTextBlock(
        features=INLINE_RICH_TEXT_FEATURES + ["ul", "ol"],
        help_text="A sentence or two; a list if it helps.",
    )

    class Meta:
        icon = "warning"
        label = "Callout"
        template = "blog/blocks/callout.html"
        value_class = CalloutValue
        description = "A boxed note that stands out from the text: a caveat, a tip or a warning."
        preview_value = {
            "tone": "evidence",
            "title": "What the evidence does not show yet",
            "text": RichText("<p>No trial has measured cramp frequency directly.</p>"),
        }


class KeyPointBlock(blocks.StructBlock):
    lead = blocks.CharBlock(
        required=False,
        max_length=120,
        help_text="Optional bold lead term, for example “Dehydration and Electrolyte Imbalance”.",
    )
    text = blocks.RichTextBlock(
        features=INLINE_RICH_TEXT_FEATURES, help_text="What there is to say about it."
    )

    class Meta:
        icon = "radio-full"
        label = "Point"


class KeyPointListBlock(blocks.StructBlock):
    items = blocks.ListBlock(KeyPointBlock(), min_num=1, label="Points")

    class Meta:
        icon = "list-ul"
        label = "Key-point list"
        template = "blog/blocks/key_point_list.html"
        description = "A bulleted list whose items start with a bold term: causes, risks, options."
        preview_value = {
            "items": [
                {
                    "lead": "Dehydration and Electrolyte Imbalance",
                    "text": RichText("<p>A lack of adequate fluid intake can trigger cramps.</p>"),
                },
                {
                    "lead": "Poor Circulation",
                    "text": RichText("<p>Reduced blood flow can contribute to cramping.</p>"),
                },
            ]
        }


class NumberedPointBlock(blocks.StructBlock):
    title = blocks.CharBlock(max_length=160, help_text="For example “Enhancing Blood Flow”.")
    text = blocks.RichTextBlock(
        features=INLINE_RICH_TEXT_FEATURES,
        help_text="The explanation: how or why, in a few sentences.",
    )

    class Meta:
        icon = "order"
        label = "Numbered point"


class NumberedListBlock(blocks.StructBlock):
    items = blocks.ListBlock(NumberedPointBlock(), min_num=1, label="Points, in order")

    def get_api_representation(self, value, context=None):
        """Each point carries its number, so an app need not rely on array order to show it."""
        points = super().get_api_representation(value, context)["items"]
        return {
            "items": [{"number": number, **point} for number, point in enumerate(points, start=1)]
        }

    class Meta:
        icon = "list-ol"
        label = "Numbered points"
        template = "blog/blocks/numbered_list.html"
        description = "An ordered list of titled points: mechanisms, steps or benefits."
        preview_value = {
            "items": [
                {
                    "title": "Triggering a Local Twitch Response",
                    "text": RichText("<p>A reflex contraction that helps release tension.</p>"),
                },
                {
                    "title": "Enhancing Blood Flow",
                    "text": RichText("<p>Needling can promote vasodilation.</p>"),
                },
            ]
        }


class StudyCardValue(blocks.StructValue):
    @property
    def study_type_label(self):
        if self.get("study_type") == "other":
            return "Study"
        return dict(StudyCardBlock.STUDY_TYPES).get(self.get("study_type"), "Study")

    @property
    def citation_url(self):
        """The DOI resolver when a DOI is given (it outlives publisher URLs), else the link."""
        if self.get("doi"):
            return f"https://doi.org/{self['doi']}"
        return self.get("link") or ""


class StudyCardBlock(blocks.StructBlock):
    STUDY_TYPES = [
        ("systematic_review", "Systematic review"),
        ("randomized_controlled_trial", "Randomized controlled trial"),
        ("cohort_observational", "Cohort / observational study"),
        ("other", "Other or unspecified study"),
    ]

    year = blocks.IntegerBlock(help_text="Year of publication.")
    # Indexed through get_searchable_content, as the label readers see.
    study_type = blocks.ChoiceBlock(
        choices=STUDY_TYPES,
        default="other",
        search_index=False,
        help_text="The design, as the paper states it; readers see “Study” for “Other”.",
    )
    journal = blocks.CharBlock(max_length=200, help_text="Where it was published.")
    population = blocks.TextBlock(help_text="Who was studied, for example “Patients with …”.")
    finding = blocks.TextBlock(help_text="What the study found, in plain words.")
    relevance = blocks.TextBlock(
        label="How it relates",
        required=False,
        help_text=(
            "How the study bears on this article's question, for example "
            "“did not focus on cramps specifically”. Leave empty rather than guess."
        ),
    )
    link = blocks.URLBlock(required=False, help_text="Optional link to the paper.")
    doi = blocks.CharBlock(
        required=False,
        max_length=200,
        label="DOI",
        help_text="Optional DOI, for example 10.2519/jospt.2021.0001 (without https://doi.org/).",
    )

    def get_searchable_content(self, value):
        """Readers see "Study" for the "other" type, so only real types are search words."""
        content = super().get_searchable_content(value)
        if value.get("study_type") != "other":
            content.append(value.study_type_label)
        return content

    def clean(self, value):
        errors = {}
        try:
            value = super().clean(value)
        except blocks.StructBlockValidationError as error:
            errors.update(error.block_errors)
        try:
            year = int(value.get("year"))
        except (TypeError, ValueError):
            year = None
        if "year" not in errors and year is not None:
            latest = latest_study_year()
            if not EARLIEST_STUDY_YEAR <= year <= latest:
                errors["year"] = ValidationError(
                    f"Enter the year the study was published, between {EARLIEST_STUDY_YEAR} "
                    f"and {latest}."
                )
        doi = (value.get("doi") or "").strip()
        if "doi" not in errors and doi:
            doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:)", "", doi, flags=re.IGNORECASE)
            if not DOI_PATTERN.match(doi):
                errors["doi"] = ValidationError(
                    "A DOI starts with “10.” followed by a registrant code and a suffix, "
                    "for example 10.2147/JPR.S123456."
                )
            else:
                value["doi"] = doi
        if errors:
            raise blocks.StructBlockValidationError(block_errors=errors)
        return value

    def get_api_representation(self, value, context=None):
        return {
            "year": value["year"],
            "study_type": value["study_type"],
            "study_type_label": value.study_type_label,
            "journal": value["journal"],
            "population": value["population"],
            "finding": value["finding"],
            "relevance": value["relevance"],
            "link": value.citation_url or None,
            "doi": value["doi"] or None,
        }

    class Meta:
        icon = "doc-full"
        label = "Study card"
        template = "blog/blocks/study_card.html"
        value_class = StudyCardValue
        description = (
            "One piece of evidence: who was studied, what was found and how it bears on the "
            "article's question."
        )
        preview_value = {
            "year": 2020,
            "study_type": "randomized_controlled_trial",
            "journal": "Journal of Pain Research",
            "population": "Adults with chronic neck and back pain",
            "finding": "Reduced pain and muscle spasms after dry needling.",
            "relevance": "Cramping was common in the group but not measured on its own.",
        }


class ArticleImageValue(blocks.StructValue):
    @property
    def credit_text(self):
        image = self.get("image")
        return self.get("credit") or (image.credit if image else "")

    @property
    def source(self):
        image = self.get("image")
        return self.get("source_url") or (image.source_url if image else "")

    @property
    def alt_text(self):
        image = self.get("image")
        if self.get("alt"):
            return self["alt"]
        return image.default_alt_text if image else ""


# Images already fetched (with their renditions) for the posts being serialized: a post's
# body otherwise fetches its images in a query of its own, so a listing of 50 posts with
# figures would cost 50 queries. See ``images_for_bodies``.
PREFETCHED_IMAGES = contextvars.ContextVar("prefetched_images", default=None)


class PrefetchingImageChooserBlock(ImageChooserBlock):
    """An image chooser that takes images from ``PREFETCHED_IMAGES`` when they are there."""

    def bulk_to_python(self, values):
        known = PREFETCHED_IMAGES.get() or {}
        missing = [value for value in values if value not in known]
        fetched = dict(zip(missing, super().bulk_to_python(missing), strict=True))
        return [known[value] if value in known else fetched[value] for value in values]


def images_for_bodies(posts):
    """The images the image blocks of these posts' bodies show, with the renditions apps
    get, in one query: ``{id: image}``."""
    ids = {
        block["value"].get("image")
        for post in posts
        for block in post.body.raw_data
        if block["type"] == "image" and isinstance(block.get("value"), dict)
    }
    ids.discard(None)
    if not ids:
        return {}
    images = get_image_model().objects.filter(pk__in=ids)
    return images.prefetch_renditions(*ArticleImageBlock.RENDITIONS.values()).in_bulk()


class ArticleImageBlock(blocks.StructBlock):
    RENDITIONS = {"small": "width-480", "medium": "width-800", "large": "width-1200"}

    image = PrefetchingImageChooserBlock(
        help_text="Upload it with its credit and source, so every use shows them."
    )
    alt = blocks.CharBlock(
        required=False,
        max_length=250,
        label="Alt text",
        help_text="What the image shows, for readers who cannot see it. Defaults to the image's.",
    )
    caption = blocks.CharBlock(
        required=False, max_length=250, help_text="Optional line under the image."
    )
    credit = blocks.CharBlock(
        required=False, max_length=200, help_text="Leave empty to use the image's own credit."
    )
    source_url = blocks.URLBlock(
        required=False, help_text="Leave empty to use the image's own source link."
    )

    def get_preview_value(self):
        return self.normalize({"image": get_image_model().objects.order_by("pk").first()})

    def get_api_representation(self, value, context=None):
        image = value["image"]
        renditions = {}
        if image is not None:
            try:
                for name, spec in self.RENDITIONS.items():
                    rendition = image.get_rendition(spec)
                    renditions[name] = {
                        "url": rendition.url,
                        "full_url": rendition.full_url,
                        "width": rendition.width,
                        "height": rendition.height,
                    }
            except SourceImageIOError:
                # A missing original file must not take the whole page down with it.
                renditions = {}
        return {
            "image_id": image.pk if image else None,
            "alt": value.alt_text,
            "caption": value["caption"],
            "credit": value.credit_text,
            "source_url": value.source or None,
            "width": image.width if image else None,
            "height": image.height if image else None,
            "renditions": renditions,
        }

    class Meta:
        icon = "image"
        label = "Image"
        template = "blog/blocks/image.html"
        value_class = ArticleImageValue
        description = "A figure with caption, and the credit and source the licence asks for."


# Ids the post page itself uses; a heading anchor equal to one would make its link jump
# to the wrong place (comments are "comment-<id>", form fields "id_<name>").
PAGE_ANCHORS = {
    "main",
    "post-title",
    "toc-heading",
    "comments",
    "comments-heading",
    "respond",
    "reply",
    "reply-title",
    "cancel-reply",
    "email-notes",
    "related-posts-heading",
}
PAGE_ANCHOR_PREFIXES = ("comment-", "id_")


def anchor_clash(anchor, earlier_anchors):
    if anchor in earlier_anchors:
        return f"Another heading above already links as “#{anchor}”."
    if anchor in PAGE_ANCHORS or anchor.startswith(PAGE_ANCHOR_PREFIXES):
        return f"“#{anchor}” is taken by a part of the post page."
    return None


class ArticleBodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = ParagraphBlock()
    key_points = KeyPointListBlock()
    numbered_list = NumberedListBlock()
    study_card = StudyCardBlock()
    callout = CalloutBlock()
    quote = QuoteBlock()
    image = ArticleImageBlock()

    def clean(self, value):
        """Each heading's anchor must lead to that heading and nowhere else."""
        value = super().clean(value)
        anchors, errors = set(), {}
        for index, child in enumerate(value):
            if child.block_type != "heading":
                continue
            anchor = child.value.anchor_id
            clash = anchor_clash(anchor, anchors)
            if clash:
                errors[index] = blocks.StructBlockValidationError(
                    block_errors={
                        "anchor": ValidationError(
                            f"{clash} Set an anchor of its own for this heading, for example "
                            f"“{anchor}-{index + 1}”."
                        )
                    }
                )
            anchors.add(anchor)
        if errors:
            raise blocks.StreamBlockValidationError(block_errors=errors)
        return value
