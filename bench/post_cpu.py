"""
CPU per comment POST, measured in one process: the benchmark's ``post_ours`` request (a
returning, confirmed reader posting through /api/v3/comments/) sent N times through
Django's test Client, with the settings the benchmark's server runs under (production,
COMMENTS_RATE_LIMITS=off). Process CPU time, not wall time, so waiting on PostgreSQL and
Redis is not counted; on a shared machine compare runs taken back to back.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/DB REDIS_URL=redis://127.0.0.1:6379/N \\
        .venv/bin/python bench/post_cpu.py --posts 300 [--first] [--worker] [--profile out.txt]

``--first`` sends ``post_ours_first`` instead: every comment a new address's first (held,
and a confirmation link mailed). ``--worker`` then runs what the POSTs queued as
``manage.py db_worker`` would, in this process, and states its CPU per comment, per
task, and per poll of an idle queue (the bench's worker polls twice a second).

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
    parser.add_argument(
        "--first", action="store_true", help="every comment a new address's first (held)"
    )
    parser.add_argument(
        "--worker", action="store_true", help="then run the queued tasks and measure them"
    )
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

    expected_status = "pending" if args.first else "approved"

    def send(number):
        key = uuid.uuid4().hex
        response = client.post(
            "/api/v3/comments/",
            {
                "page": post.pk,
                "author_name": f"Reader {number}",
                "author_email": f"first-{key}@example.com" if args.first else email,
                "body": f"Comment {number} {key}: a returning reader's words.",
                "token": token,
                "confirmation": "" if args.first else proof,
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["status"] == expected_status, response.content

    for number in range(20):  # warm: the post, the rules and the endpoints are kept
        send(-number)
    if args.worker:
        run_queued_tasks()  # what the warm-up queued is not measured
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
        Path(args.profile).write_text(profile_listing(profiler))
    if args.worker:
        worker_profiler = cProfile.Profile(time.process_time) if args.profile else None
        measure_worker(args.posts + 1, worker_profiler)
        if worker_profiler:
            path = Path(args.profile)
            path.with_stem(path.stem + "-worker").write_text(profile_listing(worker_profiler))


def profile_listing(profiler):
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(60)
    out.write("\n\n--- by own time ---\n")
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(40)
    return out.getvalue()


def task_worker():
    from cms.management.commands.db_worker import RecoveringWorker

    return RecoveringWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="post-cpu",
    )


def run_queued_tasks():
    """Run every queued task now, the held-comment sweep's deferred one too (its
    COMMENTS_HELD_NOTICE_DELAY is as if passed): returns the tasks run, by function."""
    from django.utils import timezone

    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    queued.filter(run_after__gt=timezone.now()).update(run_after=timezone.now())
    kinds = {}
    for task_path in queued.values_list("task_path", flat=True):
        kinds[task_path] = kinds.get(task_path, 0) + 1
    task_worker().run()
    return kinds


def measure_worker(comments, profiler=None):
    from django.db import close_old_connections

    started = time.process_time()
    if profiler:
        profiler.enable()
    kinds = run_queued_tasks()
    if profiler:
        profiler.disable()
    cpu = time.process_time() - started
    tasks = sum(kinds.values())
    print(f"task worker: {1000 * cpu / comments:.2f} ms CPU per comment, {tasks} tasks", end="")
    print(f" ({1000 * cpu / tasks:.2f} ms a task)" if tasks else "")
    for task_path, count in sorted(kinds.items()):
        print(f"    {count} x {task_path}")
    idle = task_worker()
    polls = 100
    started = time.process_time()
    for _ in range(polls):
        idle.take_next()
        close_old_connections()
    cpu = time.process_time() - started
    print(f"task worker, a poll of the empty queue: {1000 * cpu / polls:.2f} ms CPU")


if __name__ == "__main__":
    main()
