"""
Every knob of the benchmark in one place. Each can be overridden by an environment
variable of the same name (``BENCH_DURATION=3 make bench`` for a quick run).
"""

import os


def _int(name, default):
    return int(os.environ.get(name, default))


def _float(name, default):
    return float(os.environ.get(name, default))


#: wrk: threads, open connections, seconds of warm-up, then seconds measured.
THREADS = _int("BENCH_THREADS", 2)
CONNECTIONS = _int("BENCH_CONNECTIONS", 16)
WARMUP_SECONDS = _float("BENCH_WARMUP", 5)
DURATION_SECONDS = _float("BENCH_DURATION", 15)
#: Measured runs per case; the one with the median req/s is reported. More than one
#: steadies the numbers on a machine that other work shares.
REPEAT = _int("BENCH_REPEAT", 1)
#: A request slower than this counts as a timeout error, not a latency sample. Generous,
#: so a slow server shows up as high latency rather than as errors.
REQUEST_TIMEOUT_SECONDS = _int("BENCH_TIMEOUT", 10)

#: Both application servers: gunicorn sync workers.
WORKERS = _int("BENCH_WORKERS", 2)

#: Content: generated posts besides the seed article, and the thread on the seed article.
POSTS = _int("BENCH_POSTS", 200)
COMMENTS = _int("BENCH_COMMENTS", 100)
REPLIES = _int("BENCH_REPLIES", 20)

#: Our thread endpoint pages its answer; 100 is the most one request may ask for
#: (COMMENTS_API_LIMIT_MAX), so the 100-comment thread comes in one request, as Isso sends
#: it. A longer thread (BENCH_COMMENTS) is read in pages of this size, as many requests as
#: it takes: both deliver every comment, and the ratio compares comments per second.
THREAD_PAGE_SIZE = _int("BENCH_THREAD_LIMIT", 100)

#: Cold cases (caches emptied before every request) run for BENCH_DURATION one request
#: at a time, and at least this many requests, so p99 means something.
COLD_MIN_REQUESTS = _int("BENCH_COLD_MIN_REQUESTS", 20)

#: Redis database used when REDIS_URL is not set and Redis answers on 127.0.0.1:6379.
#: Keys carry a per-run prefix and are deleted afterwards; nothing else is touched.
REDIS_DEFAULT_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")

#: Isso, installed into its own virtualenv (never into .venv), pinned here.
ISSO_VERSION = os.environ.get("BENCH_ISSO_VERSION", "0.14.0")
#: Isso runs under the same gunicorn as the site (see requirements.txt).
ISSO_GUNICORN_VERSION = os.environ.get("BENCH_ISSO_GUNICORN_VERSION", "27.0.1")

#: py-spy, for ``--profile`` only, in its own virtualenv.
PY_SPY_VERSION = os.environ.get("BENCH_PY_SPY_VERSION", "0.4.3")

#: Targets from issue 6, checked in the report.
TARGET_THREAD_GET_VS_ISSO = 50
TARGET_POST_VS_ISSO = 1.5
TARGET_CACHED_VS_STATIC = 10
