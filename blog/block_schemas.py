"""
Typed schemas (pydantic models) for the JSON of the article body, for the OpenAPI contract.

Wagtail types a StreamField in its API schema as a list of anything. Apps generated
from our schema should get real types instead: one model per block type, joined in a
union discriminated on ``type``, so a client knows a study card's ``year`` is a number
before it ever sees one.

A block that uses Wagtail's own ``get_api_representation`` has its schema derived from
its child blocks, so adding a field to such a block updates the contract by itself. A
block that writes its own representation (computed anchors, numbered points, image
renditions) must have a schema registered here with ``@documents``; otherwise building
the body schema fails, so a new block type cannot go undocumented.
``tests/api/test_openapi.py`` checks every schema against the seed article's real JSON.
"""

import datetime
from typing import Annotated, Any, Literal, Union

from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock

from pydantic import BaseModel, ConfigDict, Field, create_model

from .blocks import (
    ArticleBodyBlock,
    ArticleImageBlock,
    HeadingBlock,
    NumberedListBlock,
    StudyCardBlock,
)


class UndocumentedBlockError(TypeError):
    """A block's API JSON has no schema, so the OpenAPI contract would lie about it."""


class BlockSchema(BaseModel):
    # Forbidding unknown keys makes the contract tests fail when a block's JSON gains a
    # field the schema does not describe, instead of the API silently dropping it.
    model_config = ConfigDict(extra="forbid")


RICH_TEXT_DESCRIPTION = (
    "Rich text, as front-end HTML with internal links resolved (or the format asked for "
    "with ?rich_text_format=)."
)

EXPLICIT_SCHEMAS: dict[type[blocks.Block], type[BaseModel]] = {}


def documents(block_class):
    """Register the schema of a block whose ``get_api_representation`` is our own."""

    def register(schema):
        EXPLICIT_SCHEMAS[block_class] = schema
        return schema

    return register


def choices_of(block: blocks.ChoiceBlock) -> Any:
    return Literal[tuple(str(value) for value, _label in block.field.choices if value != "")]


def camel_case(name):
    return "".join(part.capitalize() for part in name.split("_"))


def describe(block, name):
    meta = block.meta
    return str(getattr(meta, "description", None) or getattr(meta, "label", None) or name)


def writes_own_representation(block: blocks.Block) -> bool:
    """True when the class that defines ``get_api_representation`` for this block is ours."""
    for klass in type(block).__mro__:
        if "get_api_representation" in vars(klass):
            return not klass.__module__.startswith("wagtail.")
    return False


def value_type(block: blocks.Block, name: str) -> Any:
    """The Python type of ``block``'s API JSON, derived from its definition."""
    if writes_own_representation(block):
        schema = EXPLICIT_SCHEMAS.get(type(block))
        if schema is None:
            raise UndocumentedBlockError(
                f"{type(block).__name__} writes its own API representation but has no schema; "
                "register one in blog/block_schemas.py with @documents."
            )
        return schema
    if isinstance(block, blocks.RichTextBlock):
        return Annotated[str, Field(description=RICH_TEXT_DESCRIPTION)]
    if isinstance(block, blocks.ChoiceBlock):
        return choices_of(block)
    if isinstance(block, blocks.IntegerBlock):
        return int
    if isinstance(block, blocks.FloatBlock | blocks.DecimalBlock):
        return float
    if isinstance(block, blocks.BooleanBlock):
        return bool
    if isinstance(block, blocks.DateBlock):
        return datetime.date
    if isinstance(block, ImageChooserBlock):
        return int
    if isinstance(block, blocks.CharBlock | blocks.TextBlock | blocks.URLBlock):
        return str
    if isinstance(block, blocks.ListBlock):
        return list[value_type(block.child_block, name)]
    if isinstance(block, blocks.StructBlock):
        return struct_schema(block, name)
    raise UndocumentedBlockError(
        f"No API schema is known for {type(block).__name__} ({name}); "
        "register one in blog/block_schemas.py with @documents."
    )


def struct_schema(block: blocks.StructBlock, name: str) -> type[BaseModel]:
    fields = {}
    for child_name, child in block.child_blocks.items():
        annotation = value_type(child, f"{name}_{child_name}")
        if child.required:
            fields[child_name] = (annotation, ...)
        else:
            # An optional child that was never filled in comes out as null or "".
            fields[child_name] = (annotation | None, None)
    return create_model(
        f"{camel_case(name)}Value",
        __base__=BlockSchema,
        __doc__=describe(block, name),
        **fields,
    )


@documents(HeadingBlock)
class HeadingValue(BlockSchema):
    """A section heading; level h2 headings make up the table of contents."""

    text: str
    level: choices_of(HeadingBlock.base_blocks["level"])
    anchor: str = Field(description="Link target (#anchor) of the heading, always set.")


class NumberedPointValue(BlockSchema):
    number: int = Field(ge=1, description="The point's position, counting from 1.")
    title: str
    text: Annotated[str, Field(description=RICH_TEXT_DESCRIPTION)]


@documents(NumberedListBlock)
class NumberedListValue(BlockSchema):
    """An ordered list of titled points: mechanisms, steps or benefits."""

    items: list[NumberedPointValue]


STUDY_TYPE = choices_of(StudyCardBlock.base_blocks["study_type"])


@documents(StudyCardBlock)
class StudyCardValue(BlockSchema):
    """One piece of evidence: who was studied, what was found, how it bears on the question."""

    year: int = Field(description="Year of publication.")
    study_type: STUDY_TYPE
    study_type_label: str = Field(description="The study type as readers see it.")
    journal: str
    population: str = Field(description="Who was studied.")
    finding: str = Field(description="What the study found, in plain words.")
    relevance: str = Field(
        description="How the study bears on the article's question; empty when the article "
        "does not say."
    )
    link: str | None = Field(description="The DOI resolver when a DOI is given, else the link.")
    doi: str | None


class ImageRenditionValue(BlockSchema):
    url: str
    full_url: str
    width: int
    height: int


@documents(ArticleImageBlock)
class ArticleImageValue(BlockSchema):
    """A figure with caption, and the credit and source the licence asks for."""

    image_id: int | None
    alt: str
    caption: str | None
    credit: str = Field(description="Whom to credit: the block's own credit or the image's.")
    source_url: str | None = Field(description="Where the image comes from.")
    width: int | None = Field(description="Width of the original image.")
    height: int | None = Field(description="Height of the original image.")
    renditions: dict[
        Literal[tuple(ArticleImageBlock.RENDITIONS)],  # type: ignore[misc]
        ImageRenditionValue,
    ] = Field(description="Resized copies by size; empty when the image is missing.")


def stream_item_schema(name: str, block: blocks.Block) -> type[BaseModel]:
    return create_model(
        f"{camel_case(name)}Block",
        __base__=BlockSchema,
        __doc__=describe(block, name),
        type=(Literal[name], ...),
        id=(str | None, Field(None, description="Stable id of the block within the post.")),
        value=(value_type(block, name), ...),
    )


def build_body_schemas(stream_block: blocks.StreamBlock) -> dict[str, type[BaseModel]]:
    """One schema per block type of ``stream_block``, keyed by the block's name."""
    return {
        name: stream_item_schema(name, block) for name, block in stream_block.child_blocks.items()
    }


BODY_BLOCK_SCHEMAS = build_body_schemas(ArticleBodyBlock())

ArticleBodyItem = Annotated[
    Union[tuple(BODY_BLOCK_SCHEMAS.values())],  # noqa: UP007 (a runtime tuple of models)
    Field(discriminator="type"),
]
