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


@pytest.fixture
def make_comment():
    """Stores a comment directly (the API's reads are under test, not the rules)."""
    from blog.comments.models import Comment
    from blog.comments.rules import fingerprint

    def make(post, *, parent=None, status=Comment.Status.APPROVED, number=1, **fields):
        fields.setdefault("author_email", f"reader{number}@private.example")
        fields.setdefault("body", f"Comment number {number}.")
        comment = Comment(
            fingerprint=fingerprint(post.pk, fields["author_email"], fields["body"]),
            post=post,
            parent=parent,
            author_name=fields.pop("author_name", f"Reader {number}"),
            author_email=fields.pop("author_email", f"reader{number}@private.example"),
            author_url=fields.pop("author_url", ""),
            body=fields.pop("body", f"Comment number {number}."),
            body_html=fields.pop("body_html", f"<p>Comment number {number}.</p>"),
            status=status,
            ip_address=fields.pop("ip_address", "203.0.113.77"),
            **fields,
        )
        comment.save()
        comment.set_thread_position()
        return comment

    return make


@pytest.fixture
def moderator_token(django_user_model):
    """A bearer token whose user holds comments.moderate_comment (and nothing else)."""
    from django.contrib.auth.models import Permission

    from wagtail.models import APIToken

    user = django_user_model.objects.create_user("moderator", "mod@example.com", "pw")
    user.user_permissions.add(Permission.objects.get(codename="moderate_comment"))
    _token, plaintext = APIToken.create_token(user=user, name="moderation app")
    return plaintext


@pytest.fixture
def quick_posting(settings):
    """Tests post right after fetching the form token; people need a few seconds."""
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0


@pytest.fixture
def moderation_is_logged():
    """Every moderation decision is a Wagtail log entry, and Wagtail refuses entries for
    actions nobody registered; the admin's wagtail_hooks.py registers them."""
    from wagtail.log_actions import registry

    missing = [
        action
        for action in ("comments.approve", "comments.unapprove", "comments.spam", "comments.trash")
        if not registry.action_exists(action)
    ]
    if missing:
        pytest.fail(
            f"The moderation log actions {missing} are not registered yet (the admin's "
            "wagtail_hooks.py registers them), so moderate() cannot log its decisions."
        )
