"""
The pages, APIs, admin views and privacy jobs measured on the database ``fill_database.py``
made (10,000 posts, a million comments): p50 and p99 with the caches cold and warm, the
queries each request runs, and ``EXPLAIN (ANALYZE, BUFFERS)`` of the slowest of them.

Requests go through Django's whole stack (every middleware, the page and API caches in
Redis) in this one process, with production settings, but without gunicorn and nginx:
what is measured is the application's and the database's share, which is what grows
with the data. "Cold" empties the Redis cache (its own database, REDIS_URL) before every
request: what the first reader after each change pays. PostgreSQL's own buffers stay
warm in both: a server that has run for a while holds its hot indexes.

Usage: ``make bench-scale`` after ``make bench-data``. Writes bench/results/at-scale.md
and a JSON of the numbers next to it.
"""

import argparse
import datetime
import json
import math
import os
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
#: Targets from issue 16, on PostgreSQL at this size.
TARGET_READER_COLD_P50_MS = 50
TARGET_MODERATION_P50_MS = 300


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="bench_million")
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
    )
    parser.add_argument("--cold", type=int, default=20, help="samples per case, caches emptied")
    parser.add_argument("--warm", type=int, default=50, help="samples per case, caches full")
    parser.add_argument("--cases", help="comma-separated keys; default all")
    parser.add_argument(
        "--destructive",
        action="store_true",
        help="also run the erase and the IP purge (once each: they change the data)",
    )
    parser.add_argument("--explain", type=int, default=6, help="slowest queries to EXPLAIN")
    parser.add_argument("--output", type=Path, default=RESULTS / "at-scale.md")
    return parser.parse_args()


def configure(args):
    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    database_url = urllib.parse.urlsplit(base)._replace(path=f"/{args.database}").geturl()
    static_root = tempfile.mkdtemp(prefix="bench-scale-static-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        DATABASE_URL=database_url,
        REDIS_URL=args.redis_url,
        CACHE_KEY_PREFIX=f"bench-scale-{secrets.token_hex(4)}",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="off",
        SECURE_HSTS_SECONDS="0",
        STATIC_ROOT=static_root,
        MEDIA_ROOT=str(ROOT / "media"),
        LOG_LEVEL="ERROR",
    )
    subprocess.run(  # noqa: S603 (this interpreter, our manage.py)
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    # The application loaded as gunicorn's workers load it, its long-lived objects frozen
    # out of the garbage collector's way (cms/wsgi.py).
    import cms.wsgi  # noqa: F401

    return database_url


def percentile(samples, fraction):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


class Case:
    def __init__(self, key, label, kind, run, *, repeatable=True, before_cold=None):
        self.key, self.label, self.kind, self.run, self.repeatable = (
            key,
            label,
            kind,
            run,
            repeatable,
        )
        #: What else is emptied before each cold sample, untimed, besides Redis.
        self.before_cold = before_cold or (lambda: None)


def build_cases(client, admin_client):
    from django.db.models import Count
    from django.urls import reverse

    from bench.fill_database import FREQUENT_AUTHOR_EMAIL
    from blog.comments.models import Comment
    from blog.comments.privacy import (
        erase_personal_data,
        export_personal_data,
        purge_network_data,
    )
    from blog.comments.threads import render_thread
    from blog.models import BlogPostPage
    from blog.rendered_bodies import RenderedBody
    from blog.seed import POST
    from cms.sitemaps import PageSitemap

    seed = BlogPostPage.objects.get(slug=POST["slug"])
    posts = BlogPostPage.objects.live().count()
    # The last full page of the sitemap: the deepest OFFSET with a whole page to make.
    full_sitemap_pages = max(1, posts // PageSitemap.limit)
    last_blog_page = math.ceil(posts / 10)
    thread_pages = render_thread(seed)["num_pages"]
    busiest = list(
        Comment.objects.approved()
        .order_by()
        .values("post_id")
        .annotate(count=Count("id"))
        .order_by("-count")
        .values_list("post_id", flat=True)[:50]
    )
    thread_count = render_thread(seed)["count"]
    last_offset = max(thread_count - 50, 0)
    queue = reverse("wagtailsnippets_comments_comment:list")

    def get(path, *, as_admin=False):
        def request():
            response = (admin_client if as_admin else client).get(path, HTTP_HOST="127.0.0.1")
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
            return response

        return request

    counts = "&".join(f"page={post_id}" for post_id in busiest)

    def forget_rendered_bodies():
        """What the first reader after a deploy that changes how bodies render meets: no
        stored rendering matches (blog/rendered_bodies.py)."""
        RenderedBody.objects.all().delete()

    return [
        Case("home", "Home page", "reader", get("/")),
        Case("blog_first", "Blog index, first page", "reader", get("/blog/")),
        Case(
            "blog_last",
            f"Blog index, last page ({last_blog_page})",
            "reader",
            get(f"/blog/?page={last_blog_page}"),
        ),
        Case("tag", "Tag page (magnesium)", "reader", get("/blog/tags/magnesium/")),
        Case("search_common", "Search, a common word", "reader", get("/search/?q=magnesium")),
        Case(
            "search_rare",
            "Search, a rare word (one title)",
            "reader",
            get("/search/?q=4321"),
        ),
        Case("post_first", "Post with 5,000 comments, first page", "reader", get(seed.url)),
        Case(
            "post_middle",
            "Post with 5,000 comments, middle page",
            "reader",
            get(f"{seed.url}?cpage={max(thread_pages // 2, 1)}"),
        ),
        Case(
            "post_last",
            f"Post with 5,000 comments, last page ({thread_pages})",
            "reader",
            get(f"{seed.url}?cpage={thread_pages}"),
        ),
        Case(
            "v2_listing",
            "API v2 post listing, fields=*",
            "reader",
            get("/api/v2/pages/?type=blog.BlogPostPage&fields=*"),
        ),
        Case(
            "v3_comments_first",
            "API v3 comments of the big post, first 50",
            "reader",
            get(f"/api/v3/comments/?page={seed.pk}&limit=50"),
        ),
        Case(
            "v3_comments_last",
            "API v3 comments of the big post, last 50",
            "reader",
            get(f"/api/v3/comments/?page={seed.pk}&limit=50&offset={last_offset}"),
        ),
        Case(
            "v3_counts",
            "API v3 comment counts, 50 busiest posts",
            "reader",
            get(f"/api/v3/comments/counts/?{counts}"),
        ),
        Case("v3_posts_first", "API v3 posts, first 20", "reader", get("/api/v3/posts/")),
        Case(
            "v3_posts_deep",
            f"API v3 posts, last 20 (offset {posts - 20})",
            "reader",
            get(f"/api/v3/posts/?offset={posts - 20}"),
        ),
        Case("rss", "RSS feed of posts", "reader", get("/blog/feed/rss/")),
        Case(
            "rss_after_deploy",
            "RSS feed of posts, stored body renderings emptied too",
            "after deploy",
            get("/blog/feed/rss/"),
            before_cold=forget_rendered_bodies,
        ),
        Case(
            "v2_listing_after_deploy",
            "API v2 post listing, fields=*, stored body renderings emptied too",
            "after deploy",
            get("/api/v2/pages/?type=blog.BlogPostPage&fields=*"),
            before_cold=forget_rendered_bodies,
        ),
        Case("sitemap", f"Sitemap index ({posts:,} posts)", "reader", get("/sitemap.xml")),
        Case(
            "sitemap_page",
            f"Sitemap page {full_sitemap_pages} ({PageSitemap.limit:,} URLs)",
            "reader",
            get(f"/sitemap-pages.xml?p={full_sitemap_pages}"),
        ),
        Case(
            "admin_pending",
            "Moderation queue, pending, first page",
            "moderation",
            get(f"{queue}?status=pending", as_admin=True),
        ),
        Case(
            "admin_search",
            "Moderation queue, search (an email fragment)",
            "moderation",
            get(f"{queue}?q=reader4321%40", as_admin=True),
        ),
        Case(
            "admin_post",
            "Moderation queue, filtered by the big post",
            "moderation",
            get(f"{queue}?post={seed.pk}", as_admin=True),
        ),
        Case(
            "admin_all",
            "Moderation queue, every status (pending first), first page",
            "moderation",
            get(queue, as_admin=True),
        ),
        Case(
            "export",
            "Personal-data export (author with 2,000 comments)",
            "privacy",
            lambda: export_personal_data(FREQUENT_AUTHOR_EMAIL),
        ),
        Case(
            "erase",
            "Personal-data erase (author with 2,000 comments)",
            "privacy",
            lambda: erase_personal_data(FREQUENT_AUTHOR_EMAIL),
            repeatable=False,
        ),
        Case(
            "purge",
            "IP purge (every comment older than 30 days)",
            "privacy",
            lambda: purge_network_data(30),
            repeatable=False,
        ),
    ]


def timed(run):
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000


def measure(case, args):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = {"key": case.key, "label": case.label, "kind": case.kind}
    if not case.repeatable:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            result["once_ms"] = timed(case.run)
        result["queries"] = len(queries.captured_queries)
        result["slowest"] = slowest_queries(queries.captured_queries, case.key)
        return result

    cache.clear()
    case.before_cold()
    with CaptureQueriesContext(connection) as queries:
        case.run()
    result["queries_cold"] = len(queries.captured_queries)
    result["slowest"] = slowest_queries(queries.captured_queries, case.key)
    with CaptureQueriesContext(connection) as queries:
        case.run()
    result["queries_warm"] = len(queries.captured_queries)

    cold = []
    for _ in range(args.cold):
        cache.clear()
        case.before_cold()
        cold.append(timed(case.run))
    case.run()
    warm = [timed(case.run) for _ in range(args.warm)]
    result.update(
        cold_p50=statistics.median(cold),
        cold_p99=percentile(cold, 0.99),
        warm_p50=statistics.median(warm),
        warm_p99=percentile(warm, 0.99),
    )
    return result


def slowest_queries(captured, case_key, top=2):
    ranked = sorted(captured, key=lambda query: float(query["time"]), reverse=True)
    return [
        {"case": case_key, "ms": float(query["time"]) * 1000, "sql": query["sql"]}
        for query in ranked[:top]
    ]


def explain(sql):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def load_average():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def ms(value):
    return "" if value is None else f"{value:.1f}"


def write_report(path, results, explained, context):
    lines = [
        "# Measured at scale: 10,000 posts, 1,000,000 comments, PostgreSQL",
        "",
        f"Run {context['when']} by `make bench-scale` (bench/at_scale.py) on the database that "
        "`make bench-data` (bench/fill_database.py) made. Requests go through Django's whole "
        "stack in one process with production settings and the caches in Redis, without "
        "gunicorn and nginx. Cold: the Redis cache emptied before every request; "
        f"{context['cold']} cold and {context['warm']} warm samples per case, so p99 is close "
        "to the slowest sample. Times in ms.",
        "",
        f"Machine: {context['machine']}. Load average (1, 5, 15 min) before: "
        f"{context['load_before']}, after: {context['load_after']}. The machine is shared: "
        "the times are noisy, the query counts and plans are not.",
        "",
        "| Case | cold p50 | cold p99 | warm p50 | warm p99 | queries cold / warm | target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for result in results:
        if "once_ms" in result:
            lines.append(
                f"| {result['label']} | {ms(result['once_ms'])} (once) | | | | "
                f"{result['queries']} | batched, short locks |"
            )
            continue
        target = {
            "reader": f"< {TARGET_READER_COLD_P50_MS} cold p50",
            "moderation": f"< {TARGET_MODERATION_P50_MS} p50",
            "privacy": "",
            "after deploy": "once per deploy",
        }[result["kind"]]
        met = ""
        if result["kind"] == "reader":
            met = " ✓" if result["cold_p50"] < TARGET_READER_COLD_P50_MS else " ✗"
        elif result["kind"] == "moderation":
            met = " ✓" if result["cold_p50"] < TARGET_MODERATION_P50_MS else " ✗"
        lines.append(
            f"| {result['label']} | {ms(result['cold_p50'])} | {ms(result['cold_p99'])} | "
            f"{ms(result['warm_p50'])} | {ms(result['warm_p99'])} | "
            f"{result['queries_cold']} / {result['queries_warm']} | {target}{met} |"
        )
    lines += [
        "",
        f"Peak memory of this process (one worker's share, every case served): "
        f"{context['peak_memory_mb']} MB.",
        "",
        "## The slowest queries, explained",
        "",
    ]
    for item in explained:
        lines += [
            f"### {item['case']}: {item['ms']:.1f} ms",
            "",
            "```sql",
            item["sql"][:2000],
            "```",
            "",
            "```",
            item["plan"],
            "```",
            "",
        ]
    path.write_text("\n".join(lines) + "\n")


def main():
    args = parse_args()
    configure(args)
    from django.contrib.auth import get_user_model
    from django.test import Client

    load_before = load_average()
    client = Client()
    admin_client = Client()
    admin, _ = get_user_model().objects.get_or_create(
        username="bench-moderator", defaults={"is_superuser": True, "is_staff": True}
    )
    admin_client.force_login(admin)
    cases = build_cases(client, admin_client)
    wanted = set(args.cases.split(",")) if args.cases else None
    results = []
    for case in cases:
        if wanted and case.key not in wanted:
            continue
        if not case.repeatable and not args.destructive:
            continue
        print(f"{case.key}…", flush=True)
        result = measure(case, args)
        result["load"] = load_average()
        print(json.dumps({k: v for k, v in result.items() if k != "slowest"}), flush=True)
        results.append(result)

    candidates = sorted(
        (query for result in results for query in result["slowest"]),
        key=lambda query: query["ms"],
        reverse=True,
    )
    explained = []
    for query in candidates:
        if len(explained) >= args.explain:
            break
        if not query["sql"].lstrip().upper().startswith("SELECT"):
            continue
        explained.append({**query, "plan": explain(query["sql"])})

    context = {
        "when": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cold": args.cold,
        "warm": args.warm,
        "machine": machine(),
        "load_before": load_before,
        "load_after": load_average(),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    write_report(args.output, results, explained, context)
    args.output.with_suffix(".json").write_text(
        json.dumps({"context": context, "results": results, "explained": explained}, indent=2)
        + "\n"
    )
    print(f"Wrote {args.output}")


def machine():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (postgres,) = cursor.fetchone()
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {sys.version.split()[0]}, PostgreSQL {postgres}"


if __name__ == "__main__":
    main()
