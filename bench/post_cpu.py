"""
CPU per comment POST, measured in one process: the benchmark's ``post_ours`` request (a
returning, confirmed reader posting through /api/v3/comments/) sent N times through
Django's test Client, with the settings the benchmark's server runs under (production,
COMMENTS_RATE_LIMITS=off). Process CPU time, not wall time, so waiting on PostgreSQL and
Redis is not counted; on a shared machine compare runs taken back to back.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB REDIS_URL=redis://127.0.0.1:6379/N \\
        .venv/bin/python bench/post_cpu.py --posts 300 [--profile out.txt]

It writes comments (and one confirmed reader) into DATABASE_URL's first blog post: use a
throwaway database with the seed content (``manage.py load_seed_content``).
"""

import argparse
import cProfile
import io
import os
import pstats
import secrets
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.production")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "off")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("COMMENTS_RATE_LIMITS", "off")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("CACHE_KEY_PREFIX", f"post-cpu-{uuid.uuid4().hex[:8]}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--profile", help="write cProfile's cumulative listing here")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connections
    from django.test import Client
    from django.utils import timezone

    from blog.comments import verification
    from blog.comments.models import Comment
    from blog.comments.rules import fingerprint
    from blog.models import BlogPostPage

    post = BlogPostPage.objects.live().first()
    email = f"returning-{uuid.uuid4().hex[:8]}@example.com"
    confirmation = verification.EmailConfirmation.objects.create(
        email=verification.email_key(email), confirmed_at=timezone.now()
    )
    Comment.objects.create(
        post=post,
        author_name="Returning Reader",
        author_email=email,
        body="An earlier comment.",
        body_html="<p>An earlier comment.</p>",
        fingerprint=fingerprint(post.pk, email, "An earlier comment."),
        status=Comment.Status.APPROVED,
    )
    proof = verification.proof_for([confirmation.pk])
    client = Client(HTTP_USER_AGENT="post-cpu", REMOTE_ADDR="127.0.0.1")
    token = client.get("/api/v3/comments/form-token/", {"page": post.pk}).json()["token"]

    def send(number):
        response = client.post(
            "/api/v3/comments/",
            {
                "page": post.pk,
                "author_name": f"Reader {number}",
                "author_email": email,
                "body": f"Comment {number} {uuid.uuid4().hex}: a returning reader's words.",
                "token": token,
                "confirmation": proof,
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["status"] == "approved", response.content

    for number in range(20):  # warm: the post, the rules and the endpoints are kept
        send(-number)
    queries = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connections["default"].execute_wrapper(record):
        send(-100)
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    started = time.process_time()
    if profiler:
        profiler.enable()
    for number in range(args.posts):
        send(number)
    if profiler:
        profiler.disable()
    cpu = time.process_time() - started
    print(f"{args.posts} POSTs: {1000 * cpu / args.posts:.2f} ms CPU per POST")
    print(f"queries per POST: {len(queries)}")
    for sql in queries:
        print("   ", sql[:140])
    print(f"load average: {os.getloadavg()}")
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(60)
        out.write("\n\n--- by own time ---\n")
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(40)
        Path(args.profile).write_text(out.getvalue())


if __name__ == "__main__":
    main()
