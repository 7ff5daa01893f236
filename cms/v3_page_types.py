"""
A top-level ``type`` on every page the v3 API sends, so a typed client narrows a page by it.

Wagtail's v3 page schemas differ only in the nested ``meta.type``, and TypeScript (like
most typed clients) narrows a union by a property of its members, not of an object inside
them: an app had to write a guard (``"body" in page``) to reach a post's fields. Each
registered read schema is replaced by a subclass with ``type`` beside ``id``: the page's
content type label, a constant (``const`` in the OpenAPI file) for each member of the
union, the same value as ``meta.type``, which stays for clients that read it there. The
generic ``PageSchema`` (``wagtailcore.Page``, for page types without schemas of their
own) gets it too. Called from ``blog.api.register_v3_schemas``, before Wagtail's page
router builds its union from the registry.
"""

import dataclasses
from typing import Literal

from pydantic import Field


def page_schema_with_type(read_schema, label):
    """``read_schema`` with a required ``type`` whose only value is ``label``."""

    def resolve_type(obj):
        return label

    return type(
        read_schema.__name__,
        (read_schema,),
        {
            "__module__": read_schema.__module__,
            "__qualname__": read_schema.__qualname__,
            "__annotations__": {"type": Literal[label]},
            "type": Field(description="The page's content type; the same as `meta.type`."),
            "resolve_type": staticmethod(resolve_type),
        },
    )


def add_top_level_page_types(registry):
    from wagtail.models import get_page_models

    for model in get_page_models():
        label = model._meta.label
        registration = registry.get(label)
        if registration is None or registration.read_schema is None:
            continue
        registry.register(
            dataclasses.replace(
                registration, read_schema=page_schema_with_type(registration.read_schema, label)
            )
        )
