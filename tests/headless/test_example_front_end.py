"""
The example front end's drawing of a post (examples/frontend/server.py): every block type
of a draft read through the preview API gets markup of its own, text from the API is
escaped, and only the live post page embeds the comment component.
"""

import re

from django.test import Client

from examples.frontend.server import render_page
from headless.preview import issue_preview_token
from tests.conftest import image_block, make_image

CMS = "http://cms.example"
BLOCK_MARKUP = {
    "heading": '<h2 class="block-heading"',
    "paragraph": '<div class="block-paragraph">',
    "key_points": '<aside class="block-key-points">',
    "numbered_list": '<ol class="block-numbered-list">',
    "study_card": '<section class="block-study-card">',
    "callout": '<aside class="block-callout tone-',
    "quote": '<figure class="block-quote">',
    "image": '<figure class="block-image"><img src="http://testserver/media/images/',
}


def draft_with_every_block(post, **fields):
    blocks = post.body.stream_block.child_blocks
    body = [(name, block.get_preview_value()) for name, block in blocks.items()]
    body = [image_block(make_image("Figure")) if name == "image" else (name, value)
            for name, value in body]  # fmt: skip
    for name, value in fields.items():
        setattr(post, name, value)
    post.body = body
    response = Client().get("/api/v3/preview/", {"token": issue_preview_token(post)})
    assert response.status_code == 200
    return response.json()


def test_every_block_type_has_markup_of_its_own(seed_post):
    draft = draft_with_every_block(seed_post)
    assert set(BLOCK_MARKUP) == {block["type"] for block in draft["body"]}

    page = render_page(draft, CMS, preview=True)

    for block_type, markup in BLOCK_MARKUP.items():
        assert markup in page, block_type
    assert "does not draw" not in page
    assert "Preview of a draft" in page
    assert "<evidence-comments" not in page  # a draft has no comments to show


def test_text_from_the_api_is_escaped(seed_post):
    draft = draft_with_every_block(seed_post, title="<script>alert(1)</script>")
    draft["body"][0]["value"]["text"] = '<img src=x onerror="alert(1)">'

    page = render_page(draft, CMS)

    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"<[^>]+\son\w+=", page)


def test_a_post_embeds_the_comment_component_with_the_cms_api(seed_post):
    page = render_page(Client().get(f"/api/v3/pages/{seed_post.pk}/").json(), CMS)

    assert f'<evidence-comments post="{seed_post.pk}" api="{CMS}/api/v3/"' in page
    assert '<script type="module" src="/evidence-comments.js"></script>' in page
    assert "<script>" not in page and " style=" not in page
