"""
The pages a reader can meet, in the states that matter to a checker: a post with threaded,
paginated and pending comments (the pending one seen by its author, in their session), a
post nobody has commented on, listings, search with and without results, a refused comment
form and a page that does not exist. The HTML validity and accessibility checks both walk
this list, so a page added here is checked by both.
"""

from dataclasses import dataclass

from django.test import Client
from django.utils import timezone

from blog.comments.models import Comment
from blog.models import BlogIndexPage
from tests.comments.conftest import form_data, make_comment, next_ip
from tests.conftest import build_post

PENDING_BODY = "A first thought, waiting for a moderator."
#: What a hurried reader sends: no name, an email and a website that are not ones.
REFUSED_FIELDS = {"author_name": "", "author_email": "not-an-email", "author_url": "ftp://x.org"}


@dataclass(frozen=True)
class ReaderPage:
    name: str
    path: str
    #: Seen by the reader whose comment awaits moderation (their session shows it).
    as_author: bool = False
    #: The answer to a comment form POST with REFUSED_FIELDS, not a GET of ``path``.
    refused_form: bool = False

    @property
    def file_name(self):
        return self.name.replace(" ", "-") + ".html"


@dataclass
class ReaderSite:
    pages: list
    #: A test client whose session holds the pending comment.
    author: Client
    post: object


def prepare_reader_site(seed_post, settings):
    """Fills the seed post with two pages of threads (one with a reply, one pinned) and a
    comment of the author's awaiting moderation; adds a post without comments."""
    settings.COMMENTS_THREADS_PER_PAGE = 2
    settings.COMMENTS_MIN_SECONDS_TO_POST = 0
    first = make_comment(seed_post, body="First thread, with a reply.")
    make_comment(seed_post, parent=first, body="A reply to the first thread.")
    make_comment(seed_post, body="Second thread.")
    make_comment(seed_post, body="Third thread, on the second page.")
    Comment.objects.filter(pk=first.pk).update(pinned_at=timezone.now())
    index = BlogIndexPage.objects.get()
    quiet = build_post(index, 1, title="A post nobody has commented on", tags=["quiet"])
    tag = seed_post.tags.first().slug

    author = Client()
    address = next_ip()
    posted = author.post(
        f"/comments/post/{seed_post.pk}/",
        form_data(seed_post, ip=address, body=PENDING_BODY, author_email="new-reader@example.com"),
        REMOTE_ADDR=address,
    )
    assert posted.status_code == 303, posted.content[:500]
    pending = Comment.objects.get(body=PENDING_BODY)
    assert pending.status == Comment.Status.PENDING

    post_path = seed_post.url
    pages = [
        ReaderPage("home", "/"),
        ReaderPage("blog index", index.url),
        ReaderPage("blog index by tag", f"{index.url}?tag={tag}"),
        ReaderPage("tag page", f"{index.url}tags/{tag}/"),
        ReaderPage("post", post_path),
        ReaderPage("post later threads", f"{post_path}?cpage=2"),
        ReaderPage("post by most replies", f"{post_path}?sort=replies&cpage=2"),
        ReaderPage("post with pending comment", post_path, as_author=True),
        # The author's edit window: their browser holds the comment's secret.
        ReaderPage("edit own comment", f"/comments/{pending.pk}/edit/", as_author=True),
        ReaderPage("delete own comment", f"/comments/{pending.pk}/delete/", as_author=True),
        ReaderPage("post refused form", post_path, refused_form=True),
        ReaderPage("post without comments", quiet.url),
        ReaderPage("search with results", "/search/?q=needling"),
        ReaderPage("search without results", "/search/?q=zqxjkvbw"),
        ReaderPage("not found", "/no-such-page/"),
    ]
    return ReaderSite(pages=pages, author=author, post=seed_post)


def render_with_test_client(site, page):
    """The HTML Django sends for ``page``, and its status."""
    if page.refused_form:
        # Form tokens are bound to the reader's address: the same one fetches and posts.
        address = next_ip()
        response = Client().post(
            f"/comments/post/{site.post.pk}/",
            form_data(site.post, ip=address, **REFUSED_FIELDS),
            REMOTE_ADDR=address,
        )
        assert response.status_code == 400, response.status_code
        return response
    client = site.author if page.as_author else Client()
    response = client.get(page.path)
    expected = 404 if page.name == "not found" else 200
    assert response.status_code == expected, (page, response.status_code)
    if page.as_author:
        assert PENDING_BODY.encode() in response.content
    return response
