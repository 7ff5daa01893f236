"""
Builds the database a reliability server runs on, in its own process, the way an
operator would: ``migrate``, ``load_seed_content`` and ``collectstatic`` under the
production settings, then the people and comments the load needs.

Run as ``python -m tests.reliability.prepare_site OUTPUT.json`` with SQLITE_PATH or
DATABASE_URL (and STATIC_ROOT) in the environment; the facts the tests need (post id,
reply targets, moderators' API tokens) are written to OUTPUT.json.
"""

import io
import json
import os
import sys

import django

#: Readers whose email already has an approved comment and who confirmed it (the
#: facts' ``known_proofs``, sent as the browser's cookie or the app's ``confirmation``),
#: so the default "trust known emails" policy publishes what they post at once and the
#: load can reply to it.
KNOWN_READERS = 12
MODERATORS = ("mona", "max")


def known_reader_email(number):
    return f"known{number}@reliability.example"


def approved_comment(post, number):
    from blog.comments.models import Comment
    from blog.comments.rules import fingerprint
    from blog.comments.sanitize import sanitize_comment

    email = known_reader_email(number)
    body = f"Seeded approved comment {number}, something to reply to."
    comment = Comment(
        post=post,
        author_name=f"Known reader {number}",
        author_email=email,
        body=body,
        body_html=sanitize_comment(body),
        fingerprint=fingerprint(post.pk, email, body),
        status=Comment.Status.APPROVED,
        reason="Seeded for the reliability tests",
    )
    comment.save()
    comment.set_thread_position()
    return comment


def confirmation_proof(email):
    """What the reader's browser or app keeps once they confirmed ``email``."""
    from django.utils import timezone

    from blog.comments.verification import EmailConfirmation, proof_for

    confirmation = EmailConfirmation.objects.create(email=email, confirmed_at=timezone.now())
    return proof_for([confirmation.pk])


def moderator_token(username):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from wagtail.models import APIToken

    user = get_user_model().objects.create_user(username, f"{username}@reliability.example")
    user.user_permissions.add(Permission.objects.get(codename="moderate_comment"))
    _token, plaintext = APIToken.create_token(user=user, name="reliability moderation")
    return {"id": user.pk, "username": username, "token": plaintext}


def main(output_path):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.production")
    django.setup()

    from django.core.management import call_command

    from blog.models import BlogPostPage

    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_seed_content", stdout=io.StringIO())
    call_command("collectstatic", interactive=False, verbosity=0)

    post = BlogPostPage.objects.live().get()
    facts = {
        "post_id": post.pk,
        "post_path": post.url,
        "approved_ids": [approved_comment(post, n).pk for n in range(KNOWN_READERS)],
        "known_emails": [known_reader_email(n) for n in range(KNOWN_READERS)],
        "known_proofs": [confirmation_proof(known_reader_email(n)) for n in range(KNOWN_READERS)],
        "moderators": [moderator_token(username) for username in MODERATORS],
    }
    with open(output_path, "w") as output:
        json.dump(facts, output)


if __name__ == "__main__":
    main(sys.argv[1])
