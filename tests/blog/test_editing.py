"""Editors compose posts in the Wagtail admin, with every block type, under the blog index only."""

from wagtail.models import Page
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

import pytest
from bs4 import BeautifulSoup

from blog.models import BlogIndexPage, BlogPostPage
from home.models import HomePage


def list_items(items):
    data = {
        str(i): {"value": value, "deleted": "", "order": str(i), "id": ""}
        for i, value in enumerate(items)
    }
    data["count"] = str(len(items))
    return data


def post_form(body, **overrides):
    data = {
        "title": "Magnesium for night cramps",
        "slug": "magnesium-night-cramps",
        "date": "2025-05-01",
        "intro": "Does magnesium help night-time leg cramps?",
        "tags": "magnesium, cramps",
        "author_links": inline_formset([]),
        "body": streamfield(body),
        "comments_enabled": "on",
        "action-publish": "publish",
    }
    data.update(overrides)
    return nested_form_data(data)


STUDY_FORM = {
    "year": "2020",
    "study_type": "systematic_review",
    "journal": "Cochrane Database of Systematic Reviews",
    "population": "Older adults with nocturnal leg cramps",
    "finding": "Magnesium made little difference.",
    "relevance": "Directly about cramps.",
    "link": "",
    "doi": "10.1002/14651858.CD009402.pub3",
}


def every_block(image_id):
    return [
        ("heading", {"text": "What we know", "level": "h2", "anchor": ""}),
        ("paragraph", rich_text("<p>Night cramps are common.</p>")),
        (
            "key_points",
            {"items": list_items([{"lead": "Age", "text": rich_text("<p>Older adults.</p>")}])},
        ),
        (
            "numbered_list",
            {
                "items": list_items(
                    [
                        {"title": "Nerve firing", "text": rich_text("<p>First.</p>")},
                        {"title": "Blood flow", "text": rich_text("<p>Second.</p>")},
                    ]
                )
            },
        ),
        ("study_card", STUDY_FORM),
        ("callout", {"tone": "tip", "title": "Tip", "text": rich_text("<p>Stretch.</p>")}),
        ("quote", {"quote": "Less is more.", "attribution": "A clinician", "source_url": ""}),
        (
            "image",
            {"image": str(image_id), "alt": "", "caption": "Calf", "credit": "", "source_url": ""},
        ),
    ]


def add_url(parent):
    return f"/admin/pages/add/blog/blogpostpage/{parent.pk}/"


def test_an_editor_publishes_a_post_with_every_block_type(blog_index, seed_post, admin_client):
    response = admin_client.post(
        add_url(blog_index), post_form(every_block(seed_post.hero_image_id))
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    post = BlogPostPage.objects.get(slug="magnesium-night-cramps")
    assert post.live
    assert [block.block_type for block in post.body] == [
        "heading",
        "paragraph",
        "key_points",
        "numbered_list",
        "study_card",
        "callout",
        "quote",
        "image",
    ]
    assert sorted(post.tags.names()) == ["cramps", "magnesium"]
    page = admin_client.get(post.url).content.decode()
    assert "Cochrane Database of Systematic Reviews" in page
    assert "https://doi.org/10.1002/14651858.CD009402.pub3" in page


def test_a_bad_study_card_is_refused_with_field_messages(blog_index, admin_client):
    bad = {**STUDY_FORM, "year": "3021", "journal": ""}
    response = admin_client.post(add_url(blog_index), post_form([("study_card", bad)]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "The page could not be created due to validation errors" in content
    assert "This field is required." in content
    assert "Enter the year the study was published, between 1900 and" in content
    assert not BlogPostPage.objects.filter(slug="magnesium-night-cramps").exists()


def test_posts_can_only_be_created_under_the_blog_index(blog_index, admin_client):
    home = HomePage.objects.get()
    assert BlogPostPage.can_create_at(blog_index)
    assert not BlogPostPage.can_create_at(home)
    assert not BlogIndexPage.can_create_at(blog_index)
    assert BlogPostPage.allowed_subpage_models() == []
    response = admin_client.post(add_url(home), post_form([]), follow=True)
    assert response.redirect_chain == [("/admin/", 302)]
    assert "Sorry, you do not have permission to access this area." in response.content.decode()
    assert not BlogPostPage.objects.filter(slug="magnesium-night-cramps").exists()


@pytest.mark.parametrize(
    "block_name, expected",
    [
        ("heading", 'id="how-does-dry-needling-work"'),
        ("study_card", 'class="study-card"'),
        ("key_points", 'class="key-points"'),
        ("numbered_list", 'class="numbered-points"'),
        ("callout", "callout--evidence"),
        ("image", 'class="figure"'),
    ],
)
def test_block_previews_render_for_editors(block_name, expected, seed_post, admin_client):
    stream_block = BlogPostPage._meta.get_field("body").stream_block
    block_id = stream_block.child_blocks[block_name].definition_prefix
    response = admin_client.get("/admin/block-preview/", {"id": block_id})
    assert response.status_code == 200
    content = response.content.decode()
    assert expected in content
    assert "css/site.css" in content


def test_the_root_has_only_the_home_page(seed_post):
    assert [page.specific_class for page in Page.get_first_root_node().get_children()] == [HomePage]


# Authors: chosen (or created) with the snippet chooser, in byline order


def test_an_editor_chooses_authors_in_byline_order(blog_index, seed_post, admin_client):
    from blog.models import Author

    physio = Author.objects.create(name="Dana Physio", credentials="PT, DPT")
    doctor = Author.objects.create(name="Ari Doctor")
    form = admin_client.get(add_url(blog_index))
    assert 'id="id_author_links-OPEN_MODAL"' in form.text, "the Authors panel has no chooser"
    assert 'name="authors"' not in form.text, "the bare multi-select is still there"

    links = inline_formset([{"author": str(physio.pk)}, {"author": str(doctor.pk)}])
    response = admin_client.post(add_url(blog_index), post_form([], author_links=links))

    assert response.status_code == 302
    post = BlogPostPage.objects.get(slug="magnesium-night-cramps")
    assert post.byline_authors == [physio, doctor]
    assert set(post.authors.all()) == {physio, doctor}
    page = admin_client.get(post.url)
    assert "By Dana Physio, PT, DPT, Ari Doctor" in " ".join(page.text.split())


def test_the_author_chooser_creates_an_author_in_the_modal(seed_post, admin_client):
    from django.urls import reverse

    from blog.models import Author

    chooser = admin_client.get(reverse("wagtailsnippetchoosers_blog_author:choose"))
    assert chooser.status_code == 200
    assert "New author" in chooser.json()["html"]

    create_url = reverse("wagtailsnippetchoosers_blog_author:create")
    refused = admin_client.post(create_url, {"name": "", "credentials": "", "bio": ""})
    assert refused.json()["step"] == "reshow_creation_form"
    assert "This field is required." in refused.json()["htmlFragment"]
    assert not Author.objects.exists()

    created = admin_client.post(
        create_url, {"name": "Lee Nurse", "credentials": "RN", "bio": "Writes on sleep."}
    )
    result = created.json()
    assert result["step"] == "chosen"
    author = Author.objects.get(name="Lee Nurse")
    assert str(result["result"]["id"]) == str(author.pk)
    assert author.credentials == "RN"


def test_a_preview_shows_the_authors_being_edited(blog_index, seed_post, admin_client):
    from blog.models import Author

    author = Author.objects.create(name="Dana Physio")
    preview_url = f"/admin/pages/{seed_post.pk}/edit/preview/"
    links = inline_formset([{"author": str(author.pk)}])
    data = post_form([], title=seed_post.title, slug=seed_post.slug, author_links=links)
    assert admin_client.post(preview_url, data).json()["is_valid"]

    preview = admin_client.get(preview_url)

    assert "By Dana Physio" in " ".join(preview.text.split())
    assert not seed_post.authors.exists(), "a preview must not publish the authors"


def test_the_image_form_says_the_description_is_the_alt_text(seed_post, admin_client):
    page = BeautifulSoup(
        admin_client.get(f"/admin/images/{seed_post.hero_image_id}/").content, "html.parser"
    )

    description = page.select_one("label[for='id_description']").get_text(" ", strip=True)
    assert description.startswith("Description (alt text)")
    help_text = page.select_one("#id_description-helptext, #panel-child-description-helptext")
    assert help_text is not None and "alt text" in help_text.get_text()
    source = page.select_one("label[for='id_source_url']").get_text(" ", strip=True)
    assert source == "Source URL"
