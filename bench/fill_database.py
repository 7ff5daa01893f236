"""
Fills a PostgreSQL database of its own with years of a site: 10,000 posts and a million
comments by default, in minutes, for the measurements at scale (``bench/at_scale.py``,
docs/benchmarks.md).

Why COPY rather than the ORM: a comment saved through the model is an INSERT and a
round trip, about a millisecond each, so a million take a quarter of an hour; the pages
through ``add_child`` and ``publish`` cost far more (a revision, a tree lock and search
indexing each). Here rows stream to the server through psycopg's ``cursor.copy``:

- Posts are written as rows of ``wagtailcore_page`` and ``blog_blogpostpage`` copied from
  the seed article (so every column Wagtail adds is filled as Wagtail filled it), with
  paths treebeard would have given them under the blog index, whose ``numchild`` is then
  set; they are live, without revisions, like pages imported from elsewhere. Tags and
  author links go in with ``bulk_create``, and the search index is built by Wagtail's
  own backend at the end.
- Comments carry ids reserved from their sequence, so the generator knows each one's
  ``thread_path`` and ``depth`` before the row exists and writes them; the thread
  trigger of migration 0005 sees a path and leaves it alone.

Usage: ``make bench-data`` or ``python bench/fill_database.py --database bench_million``
(drops and creates that database on the server of DATABASE_URL, or 127.0.0.1:5432).
"""

import argparse
import datetime
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Statuses in the proportions a moderated site ends up with after years.
STATUS_WEIGHTS = {"approved": 88, "pending": 5, "spam": 5, "trash": 2}
#: The one author whose personal data is exported and erased in the measurements.
FREQUENT_AUTHOR_EMAIL = "frequent.reader@example.org"
FREQUENT_AUTHOR_COMMENTS = 2_000
#: A reply is never deeper than this: thread paths are 255 characters, 11 per level.
MAX_DEPTH = 8
REPLY_SHARE = 0.4
#: Positions among the seed article's comments of threads pinned when they are approved roots.
PINNED_SEED_COMMENTS = (3, 11)
#: Words the comments are made of; "magnesium" is common, "zygapophyseal" rare (search cases).
COMMON_SENTENCES = [
    "I tried magnesium for the cramps in my calves and noticed no difference after a month.",
    "Which trial was that? The one I read had forty people and no placebo group.",
    "My physiotherapist suggested stretching before bed; it helped more than anything else.",
    "The review you cite pools very different needling techniques, which seems a stretch.",
    "Thanks for spelling out the effect size; most articles only say that it works.",
    "Sleep made the biggest difference for me, but that is one person, not a study.",
    "Is there anything on older adults specifically? They are most of the people with cramps.",
    "The confidence interval crosses zero, so I would not call that evidence of benefit.",
]
RARE_SENTENCE = "Has anyone looked at zygapophyseal joint involvement in nocturnal cramps?"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="bench_million", help="database to (re)create")
    parser.add_argument("--posts", type=int, default=10_000, help="posts, the seed one included")
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument(
        "--big-thread", type=int, default=5_000, help="comments on the seed article"
    )
    parser.add_argument("--authors", type=int, default=50_000, help="distinct commenters")
    parser.add_argument("--seed", type=int, default=16, help="random seed: same data each run")
    parser.add_argument("--skip-search-index", action="store_true")
    parser.add_argument("--output", type=Path, help="where the JSON summary goes")
    return parser.parse_args()


def server_url(database):
    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    parts = urllib.parse.urlsplit(base)
    return parts._replace(path=f"/{database}").geturl()


def recreate_database(url, database):
    import psycopg
    from psycopg import sql

    maintenance = urllib.parse.urlsplit(url)._replace(path="/postgres").geturl()
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(database)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def manage(*arguments, env):
    subprocess.run(  # noqa: S603 (this interpreter, our manage.py)
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )


class Timer:
    """Wall time per phase, for the summary and the results."""

    def __init__(self):
        self.phases = {}

    def phase(self, name):
        timer = self

        class Phase:
            def __enter__(self):
                self.start = time.perf_counter()
                print(f"{name}…", flush=True)

            def __exit__(self, *exc):
                timer.phases[name] = round(time.perf_counter() - self.start, 1)
                print(f"{name}: {timer.phases[name]} s", flush=True)

        return Phase()


def reserve_ids(cursor, table, count):
    """The next ``count`` ids of an identity column, as one block: the sequence is moved
    past them at once (nothing else writes to this new database meanwhile)."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    (sequence,) = cursor.fetchone()
    cursor.execute("SELECT nextval(%s)", [sequence])
    (first,) = cursor.fetchone()
    cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return range(first, first + count)


def copy_rows(cursor, table, columns, rows):
    column_list = ", ".join(columns)
    with cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def template_row(cursor, table, key_column, key):
    cursor.execute(f"SELECT * FROM {table} WHERE {key_column} = %s", [key])  # noqa: S608 (names are ours)
    columns = [column.name for column in cursor.description]
    return columns, dict(zip(columns, cursor.fetchone(), strict=True))


def generate_posts(cursor, count, rng):
    """``count - 1`` posts beside the seed article, as the blog index's last children."""
    from wagtail.models import Page

    from taggit.models import Tag

    from blog.models import Author, BlogIndexPage, BlogPostAuthor, BlogPostPage, BlogPostTag
    from blog.seed import POST

    seed_post = BlogPostPage.objects.get(slug=POST["slug"])
    blog = BlogIndexPage.objects.get()
    page_columns, page_template = template_row(cursor, "wagtailcore_page", "id", seed_post.pk)
    post_columns, post_template = template_row(
        cursor, "blog_blogpostpage", "page_ptr_id", seed_post.pk
    )
    generated = count - 1
    ids = reserve_ids(cursor, "wagtailcore_page", generated)
    first_step = blog.numchild + 1
    last_date = POST["date"] - datetime.timedelta(days=1)
    # About ten years of posts, a few a week, oldest first.
    days_per_post = 3650 / max(generated, 1)
    now = datetime.datetime.now(datetime.UTC)
    post_dates = {}

    def page_rows():
        for number, page_id in enumerate(ids):
            slug = f"benchmark-post-{number + 1}"
            title = f"Benchmark post {number + 1}: what the evidence says"
            date = last_date - datetime.timedelta(days=int((generated - number) * days_per_post))
            published = datetime.datetime.combine(date, datetime.time(9), datetime.UTC)
            post_dates[page_id] = published
            row = dict(page_template)
            row.update(
                id=page_id,
                path=Page._get_path(blog.path, blog.depth + 1, first_step + number),
                depth=blog.depth + 1,
                numchild=0,
                title=title,
                draft_title=title,
                slug=slug,
                url_path=f"{blog.url_path}{slug}/",
                live=True,
                has_unpublished_changes=False,
                seo_title="",
                search_description="",
                translation_key=uuid.uuid4(),
                first_published_at=published,
                last_published_at=published,
                latest_revision_created_at=None,
                live_revision_id=None,
                latest_revision_id=None,
                locked=False,
                locked_at=None,
                locked_by_id=None,
                alias_of_id=None,
            )
            yield [row[column] for column in page_columns]

    copy_rows(cursor, "wagtailcore_page", page_columns, page_rows())
    body = json.dumps(post_template["body"])

    def post_rows():
        for number, page_id in enumerate(ids):
            row = dict(post_template)
            row.update(
                page_ptr_id=page_id,
                date=post_dates[page_id].date(),
                intro=f"Generated post {number + 1}, with the seed article's body.",
                body=body,
            )
            yield [row[column] for column in post_columns]

    copy_rows(cursor, "blog_blogpostpage", post_columns, post_rows())
    cursor.execute(
        "UPDATE wagtailcore_page SET numchild = numchild + %s WHERE id = %s", [generated, blog.pk]
    )

    tag_names = ["sleep", "stretching", "magnesium", "exercise", "physical therapy", "pain"]
    tags = [
        Tag.objects.get_or_create(name=name, defaults={"slug": name.replace(" ", "-")})[0]
        for name in tag_names + ["evidence review"]
    ]
    BlogPostTag.objects.bulk_create(
        [
            BlogPostTag(content_object_id=page_id, tag=tags[number % len(tag_names)])
            for number, page_id in enumerate(ids)
        ]
        + [BlogPostTag(content_object_id=page_id, tag=tags[-1]) for page_id in ids],
        batch_size=5_000,
    )
    authors = list(Author.objects.all())
    if authors:
        BlogPostAuthor.objects.bulk_create(
            [
                BlogPostAuthor(page_id=page_id, author=rng.choice(authors), sort_order=0)
                for page_id in ids
            ],
            batch_size=5_000,
        )
    post_dates[seed_post.pk] = datetime.datetime.combine(
        POST["date"], datetime.time(9), datetime.UTC
    )
    return seed_post, post_dates, now


def comment_counts(post_ids, seed_post_id, total, big_thread, rng):
    """A long tail: most posts have a few dozen comments, some hundreds, none more than the
    seed article's ``big_thread``."""
    others = [post_id for post_id in post_ids if post_id != seed_post_id]
    weights = [rng.paretovariate(1.6) for _ in others]
    scale = (total - big_thread) / sum(weights)
    counts = {
        post_id: min(int(weight * scale), big_thread - 1)
        for post_id, weight in zip(others, weights, strict=True)
    }
    shortfall = total - big_thread - sum(counts.values())
    below_cap = [post_id for post_id in others if counts[post_id] < big_thread - 1]
    for index in range(shortfall):
        counts[below_cap[index % len(below_cap)]] += 1
    counts[seed_post_id] = big_thread
    return counts


def generate_comments(cursor, post_dates, seed_post_id, args, rng, now):
    from blog.comments.sanitize import sanitize_comment

    counts = comment_counts(list(post_dates), seed_post_id, args.comments, args.big_thread, rng)
    ids = iter(reserve_ids(cursor, "comments_comment", args.comments))
    statuses = list(STATUS_WEIGHTS)
    status_weights = list(STATUS_WEIGHTS.values())
    bodies = []
    for first in range(len(COMMON_SENTENCES)):
        for second in range(len(COMMON_SENTENCES)):
            if first != second:
                text = f"{COMMON_SENTENCES[first]}\n\n{COMMON_SENTENCES[second]}"
                bodies.append((text, sanitize_comment(text)))
    rare = (RARE_SENTENCE, sanitize_comment(RARE_SENTENCE))
    frequent_every = max(args.comments // FREQUENT_AUTHOR_COMMENTS, 1)
    columns = [
        "id", "post_id", "parent_id", "depth", "thread_path", "author_name", "author_email",
        "author_url", "body", "body_html", "status", "reason", "status_before_removal",
        "fingerprint", "ip_address", "user_agent", "created_at", "updated_at", "moderated_at",
        "notify_replies", "unsubscribe_token", "is_staff_reply", "held_notice_sent_at",
        "edit_secret_hash", "author_confirmed", "pinned_at",
    ]  # fmt: skip
    written = {"by_status": dict.fromkeys(statuses, 0), "replies": 0}

    def rows():
        sequence_number = 0
        for post_id, count in counts.items():
            published = post_dates[post_id]
            # The seed article's discussion is recent: its comments still hold addresses.
            span = (now - published) if post_id == seed_post_id else datetime.timedelta(days=90)
            thread = []  # (id, path, depth) of this post's comments so far
            for number in range(count):
                comment_id = next(ids)
                sequence_number += 1
                segment = str(comment_id).zfill(10)
                parent = None
                if thread and rng.random() < REPLY_SHARE:
                    # Replies mostly answer recent comments: the thread grows in bursts.
                    candidate = thread[max(0, len(thread) - 1 - int(rng.expovariate(0.1)))]
                    if candidate[2] < MAX_DEPTH:
                        parent = candidate
                if parent:
                    parent_id, path, depth = parent[0], f"{parent[1]}/{segment}", parent[2] + 1
                    written["replies"] += 1
                else:
                    parent_id, path, depth = None, segment, 0
                thread.append((comment_id, path, depth))
                status = rng.choices(statuses, status_weights)[0]
                written["by_status"][status] += 1
                if sequence_number % frequent_every == 0:
                    name, email = "Frequent Reader", FREQUENT_AUTHOR_EMAIL
                else:
                    # Skewed: a few regulars, a long tail of people who comment once.
                    author = int(args.authors * rng.random() ** 2)
                    name, email = f"Reader {author}", f"reader{author}@example.org"
                text, html = rare if sequence_number % 50_000 == 0 else rng.choice(bodies)
                created = published + span * (number + 1) / (count + 1)
                created = min(created, now)
                fingerprint = hashlib.sha256(f"bench:{comment_id}".encode()).hexdigest()
                yield [
                    comment_id, post_id, parent_id, depth, path, name, email,
                    "", text, html, status, "Loaded by the benchmark generator",
                    "pending" if status in ("spam", "trash") else "",
                    fingerprint,
                    f"10.{(comment_id >> 16) & 255}.{(comment_id >> 8) & 255}.{comment_id & 255}",
                    "Mozilla/5.0 (benchmark)", created, created,
                    created if status != "pending" else None,
                    False, hashlib.sha256(f"token:{comment_id}".encode()).hexdigest()[:43],
                    False, created if status == "pending" else None,
                    # Approved authors confirmed their address (issue 14); moderators pinned
                    # two of the seed article's early threads.
                    "", status == "approved",
                    created if post_id == seed_post_id and number in PINNED_SEED_COMMENTS
                    and depth == 0 and status == "approved" else None,
                ]  # fmt: skip

    copy_rows(cursor, "comments_comment", columns, rows())
    return counts, written


def main():
    args = parse_args()
    url = server_url(args.database)
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="cms.settings.dev")
    timer = Timer()
    started = time.perf_counter()
    # The machine is shared: the phases' times mean little without what else ran.
    load_before = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    with timer.phase("create database, migrate, seed content"):
        recreate_database(url, args.database)
        manage("migrate", "--noinput", env=env)
        manage("load_seed_content", "--site-url", "http://127.0.0.1:8000", env=env)

    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="cms.settings.dev")
    import django

    django.setup()
    from django.db import connection, transaction

    rng = random.Random(args.seed)
    with transaction.atomic(), connection.cursor() as cursor:
        with timer.phase(f"{args.posts} posts"):
            seed_post, post_dates, now = generate_posts(cursor, args.posts, rng)
        with timer.phase(f"{args.comments} comments"):
            counts, written = generate_comments(cursor, post_dates, seed_post.pk, args, rng, now)
    if not args.skip_search_index:
        with timer.phase("search index"):
            from django.core.management import call_command

            call_command("update_index", verbosity=0)
    # What autovacuum does to a table that has lived a while: statistics for the planner,
    # and the visibility map that lets index-only scans skip the table. After the search
    # index is filled, or the planner takes its table for empty (and autovacuum may be off).
    with timer.phase("vacuum analyze"), connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")

    summary = {
        "database": args.database,
        "posts": len(post_dates),
        "comments": args.comments,
        "seed_post_id": seed_post.pk,
        "seed_post_path": seed_post.url_path,
        "largest_other_thread": max(
            count for post_id, count in counts.items() if post_id != seed_post.pk
        ),
        "comments_by_status": written["by_status"],
        "replies": written["replies"],
        "frequent_author_email": FREQUENT_AUTHOR_EMAIL,
        "seconds": round(time.perf_counter() - started, 1),
        "phases": timer.phases,
        # ru_maxrss is in kilobytes on Linux.
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "peak_memory_of_migrate_and_seed_mb": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        ),
        "load_average_before": load_before,
        "load_average_after": ", ".join(f"{value:.2f}" for value in os.getloadavg()),
    }
    text = json.dumps(summary, indent=2)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
