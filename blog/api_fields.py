"""
API fields of a post that are not plain columns: its authors, and what comes from its
discussion (the approved comment count and whether comments are open). Both v2 (as
serializer fields) and v3 (typed from their return annotations) use them.
"""

from rest_framework.fields import Field
from typing_extensions import TypedDict

from .comments.models import CommentSettings
from .comments.rules import closed_reason


class AuthorDict(TypedDict):
    id: int
    name: str
    credentials: str


class AuthorsField(Field):
    """What a byline shows of each author, by name as the site lists them. Without it the
    many-to-many relation is left out of ``fields=*`` (and would be bare ids). A post not
    saved yet (a draft previewed before its first save) has no rows to join through, so
    its authors are the ones the editor has chosen."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, post) -> list[AuthorDict]:
        authors = post.byline_authors if post.pk is None else post.authors.all()
        return [
            AuthorDict(id=author.pk, name=author.name, credentials=author.credentials)
            for author in authors
        ]


class CommentCountField(Field):
    """Approved comments; read from the listing's annotation when there is one, so a
    listing does not count post by post."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, post) -> int:
        if "comment_count" in post.__dict__:
            return post.__dict__["comment_count"]
        return post.comments.approved().count()


class CommentsOpenField(Field):
    """Whether a reader (or an app) may post a comment now, by the same rule the comment
    service applies: the post's switch and the admin's "close after N days"."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, post) -> bool:
        request = self.context.get("request")
        return closed_reason(post, CommentSettings.load(request_or_site=request)) is None
