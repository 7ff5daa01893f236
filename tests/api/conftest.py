import pytest

from blog.models import ArticleImage
from tests.conftest import build_post


@pytest.fixture(autouse=True)
def fresh_api_cache():
    """Each test starts with no cached API versions or responses."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def post_with_image(blog_index):
    """A post whose body holds an image block, for rendition contract tests."""
    image = ArticleImage.objects.get()
    return build_post(
        blog_index,
        90,
        body=[
            (
                "image",
                {
                    "image": image,
                    "alt": "",
                    "caption": "Needles in the upper back",
                    "credit": "",
                    "source_url": "",
                },
            ),
            ("paragraph", f'<p>See <a linktype="page" id="{blog_index.pk}">the blog</a>.</p>'),
        ],
    )
