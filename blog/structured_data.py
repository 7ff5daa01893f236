"""
schema.org JSON-LD for a post: an ``Article`` whose ``citation`` lists every study card
as a ``ScholarlyArticle``, so search engines and citation tools see the evidence a post
rests on, not only its words. The publisher carries a logo, which search engines want for
article results: a PNG (they do not take SVG logos), at least 112 px square.

The JSON is written into a <script> element, where the HTML parser ends the element at
the first ``</script>`` whatever the JSON means; ``<``, ``>`` and ``&`` are therefore
written as JSON unicode escapes, which parse back to the same text.
"""

import json
from urllib.parse import urljoin

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import mark_safe

# The favicon's mark, drawn once with Pillow at this size and committed.
PUBLISHER_LOGO = ("img/publisher-logo.png", 112, 112)

SCRIPT_SAFE_ESCAPES = {
    ord("<"): "\\u003C",
    ord(">"): "\\u003E",
    ord("&"): "\\u0026",
    ord("\u2028"): "\\u2028",
    ord("\u2029"): "\\u2029",
}


def json_ld_script(data):
    """A <script type="application/ld+json"> element that no text inside `data` can end early."""
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=None)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(payload.translate(SCRIPT_SAFE_ESCAPES)),  # noqa: S308 - escaped just above
    )


def study_citation(study):
    """One study card as the ScholarlyArticle it describes."""
    citation = {
        "@type": "ScholarlyArticle",
        "name": f"{study.study_type_label} in {study['journal']} ({study['year']})",
        "datePublished": str(study["year"]),
        "isPartOf": {"@type": "Periodical", "name": study["journal"]},
        # Whom the study looked at. "about" expects a Thing, not text; MedicalStudy's
        # "population" is schema.org's word for a study's participants.
        "about": {"@type": "MedicalStudy", "population": study["population"]},
        "description": study["finding"],
    }
    if study.citation_url:
        citation["url"] = study.citation_url
    if study.get("doi"):
        citation["identifier"] = {
            "@type": "PropertyValue",
            "propertyID": "DOI",
            "value": study["doi"],
        }
    return citation


def article_structured_data(post, canonical_url, root_url, image=None):
    """The Article for `post`; `image` is (absolute URL, width, height) of its share image."""
    logo_path, logo_width, logo_height = PUBLISHER_LOGO
    publisher = {
        "@type": "Organization",
        "name": settings.WAGTAIL_SITE_NAME,
        "url": f"{root_url}/",
        "logo": {
            "@type": "ImageObject",
            "url": urljoin(f"{root_url}/", static(logo_path)),
            "width": logo_width,
            "height": logo_height,
        },
    }
    authors = [
        {
            "@type": "Person",
            "name": author.name,
            **({"honorificSuffix": author.credentials} if author.credentials else {}),
        }
        for author in post.byline_authors
    ]
    modified = post.last_published_at or post.latest_revision_created_at
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": post.seo_title or post.title,
        "description": post.search_description or post.intro,
        "url": canonical_url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": canonical_url},
        "datePublished": post.date.isoformat(),
        "dateModified": (modified or post.date).isoformat(),
        "author": authors or publisher,
        "publisher": publisher,
        "wordCount": post.word_count,
        "inLanguage": settings.LANGUAGE_CODE,
        "citation": [
            study_citation(block.value) for block in post.body if block.block_type == "study_card"
        ],
    }
    if image is not None:
        url, width, height = image
        data["image"] = {"@type": "ImageObject", "url": url, "width": width, "height": height}
    return data
