"""
Fills the benchmark's throwaway database, after ``migrate`` and ``load_seed_content``:
generated posts beside the seed article (each with the seed article's body, so listings
carry real weight) and the comment thread on the seed article.

Run by ``bench/run.py`` with the bench's environment (settings, DATABASE_URL or
SQLITE_PATH); writes a JSON summary of what it made to --output. Comments are written through
the model with ``sanitize_comment``, as ``submit_comment`` stores them, but without the
form token and rules, which the bench does not measure here. The thread's first author is
also a confirmed reader, whose proof the returning-reader POST case sends.
"""

import argparse
import datetime
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from blog.comments.models import Comment  # noqa: E402
from blog.comments.rules import fingerprint  # noqa: E402
from blog.comments.sanitize import sanitize_comment  # noqa: E402
from blog.comments.verification import EmailConfirmation, proof_for  # noqa: E402
from blog.models import BlogIndexPage, BlogPostPage  # noqa: E402
from blog.seed import POST  # noqa: E402

GENERATED_TAGS = ("sleep", "stretching", "magnesium", "exercise", "physical therapy", "pain")


def generate_posts(count):
    seed_post = BlogPostPage.objects.get(slug=POST["slug"])
    blog = BlogIndexPage.objects.get()
    body = seed_post.body.raw_data
    first_date = POST["date"] - datetime.timedelta(days=count)
    for number in range(count):
        post = BlogPostPage(
            title=f"Benchmark post {number + 1}: what the evidence says",
            slug=f"benchmark-post-{number + 1}",
            date=first_date + datetime.timedelta(days=number),
            intro=f"Generated post {number + 1} for the benchmark, with the seed article's body.",
            hero_image=seed_post.hero_image,
            body=body,
        )
        post.tags.add(GENERATED_TAGS[number % len(GENERATED_TAGS)], "evidence review")
        blog.add_child(instance=post)
        post.save_revision().publish()
    return seed_post


def load_thread(post, specs):
    ids = []
    with transaction.atomic():
        for spec in specs:
            parent = (
                Comment.objects.get(pk=ids[spec["parent"]]) if spec["parent"] is not None else None
            )
            comment = Comment(
                post=post,
                parent=parent,
                author_name=spec["author"],
                author_email=spec["email"],
                body=spec["text"],
                body_html=sanitize_comment(spec["text"]),
                status=Comment.Status.APPROVED,
                reason="Loaded by the benchmark",
                fingerprint=fingerprint(post.pk, spec["email"], spec["text"]),
            )
            comment.save()  # the database gives it its place in the thread
            ids.append(comment.pk)
    return ids


def confirm_reader(email):
    """The returning reader of the POST case: ``email`` (the thread's first author, so it
    has an approved comment) confirmed through a mailed link, and the proof the API's
    confirm endpoint gives an app for it."""
    confirmation = EmailConfirmation.objects.create(
        email=email.strip().lower(), confirmed_at=datetime.datetime.now(datetime.UTC)
    )
    return {"email": email, "proof": proof_for([confirmation.pk])}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, required=True)
    parser.add_argument("--thread", type=Path, required=True, help="JSON list of comments")
    parser.add_argument("--output", type=Path, required=True, help="where the JSON summary goes")
    args = parser.parse_args()
    post = generate_posts(args.posts)
    specs = json.loads(args.thread.read_text())
    ids = load_thread(post, specs)
    summary = {
        "post_id": post.pk,
        "post_path": post.url,
        "comment_ids": ids,
        "confirmed_reader": confirm_reader(specs[0]["email"]),
    }
    args.output.write_text(json.dumps(summary))


if __name__ == "__main__":
    main()
