"""
`make bench`: the site, its comment API and Isso on this machine, under the same load.

Builds a throwaway database (SQLite in a temp dir, or a new PostgreSQL database when
DATABASE_URL is set), loads the seed article, generated posts and a comment thread,
serves the site and Isso with gunicorn and a static copy of the thread JSON with nginx,
measures each case with wrk and writes bench/results/latest-<database>.md and .json
(bench/merge.py puts both databases side by side). Everything it starts
or creates is removed at the end, also on error or Ctrl-C. Settings: bench/settings.py.
"""

import argparse
import datetime
import http.client
import importlib.metadata
import json
import os
import platform
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import isso, settings  # noqa: E402
from bench.content import thread_comments  # noqa: E402
from bench.processes import (  # noqa: E402
    Cleanup,
    children_of,
    cpu_seconds,
    free_port,
    http_request,
    run_logged,
    stop_process_group,
    wait_until_idle,
    wait_until_serving,
)
from bench.report import (  # noqa: E402
    Case,
    CaseResult,
    check_targets,
    format_cpu,
    format_ms,
    integrity_note,
    non_2xx_note,
    parse_wrk_result,
    percentile,
    results_table,
    runs_note,
    targets_table,
    task_worker_note,
)
from deploy.nginx import foreground_command, foreground_config, standalone_config  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LUA = BENCH / "lua"
PYTHON = Path(sys.executable)

CASES = [
    Case("page", "Seed post, HTML page", "ours", vs_static=True),
    Case("page_cold", "Seed post, HTML page, caches emptied", "ours", cold_of="page"),
    Case("page_edge", "Seed post, HTML page, through the nginx front", "edge", vs_static=True),
    Case("v2_detail", "API v2 post detail", "ours", vs_static=True),
    Case("v2_detail_cold", "API v2 post detail, caches emptied", "ours", cold_of="v2_detail"),
    Case("v2_detail_edge", "API v2 post detail, through the nginx front", "edge", vs_static=True),
    Case("v2_listing", "API v2 post listing, fields=*", "ours", vs_static=True),
    Case(
        "thread_ours",
        "Comment thread GET, the whole thread",
        "ours",
        isso_counterpart="thread_isso",
        vs_static=True,
    ),
    Case("thread_isso", "Comment thread GET, the whole thread", "isso"),
    Case("static", "Thread JSON as a static file (floor)", "static"),
    Case(
        "post_ours",
        "Comment POST, a returning confirmed reader",
        "ours",
        "POST",
        isso_counterpart="post_isso",
    ),
    Case(
        "post_ours_first",
        "Comment POST, a new address's first comment (mails a confirmation link)",
        "ours",
        "POST",
        isso_counterpart="post_isso",
    ),
    Case("post_isso", "Comment POST, anonymous", "isso", "POST"),
]
CASE_KEYS = [case.key for case in CASES]
#: Frames worth naming in a profile summary: our code, Isso's, and what they spend time in.
INTERESTING_FRAME = re.compile(
    r"\((?:blog|cms|home|search|isso|bleach|misaka|mistune|modelsearch|django_tasks|redis)/"
    r"|\((?:django/template|django/db/models/query|wagtail/api|rest_framework|ninja)/"
)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--posts", type=int, default=settings.POSTS, help="generated posts (BENCH_POSTS)"
    )
    parser.add_argument(
        "--comments",
        type=int,
        default=settings.COMMENTS,
        help="comments in the seed post's thread (BENCH_COMMENTS)",
    )
    parser.add_argument(
        "--replies",
        type=int,
        default=settings.REPLIES,
        help="how many of those are replies (BENCH_REPLIES)",
    )
    parser.add_argument(
        "--cases",
        default=",".join(CASE_KEYS),
        help=f"comma-separated subset of: {', '.join(CASE_KEYS)}",
    )
    parser.add_argument(
        "--profile",
        default="",
        help="comma-separated cases to sample with py-spy during the measured run "
        "(profiles go to bench/results/profile-<case>.txt)",
    )
    parser.add_argument(
        "--hold",
        action="store_true",
        help="build and start everything, print the URLs, and wait for Ctrl-C instead of "
        "measuring (for profiling by hand)",
    )
    parser.add_argument(
        "--nodes",
        default="",
        help="also measure the nginx front before several app nodes: comma-separated "
        "layouts NODESxWORKERS, e.g. 1x2,2x1,2x2 (docs/deploy.md section 9); the results "
        "go to bench/results/nodes-<database>.md",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="where the Markdown results go, the JSON beside it ('-' for nowhere; by default "
        "bench/results/latest-sqlite.md or latest-postgresql.md, which bench/merge.py "
        "combines into latest.md)",
    )
    args = parser.parse_args()
    for option in ("cases", "profile"):
        chosen = [key for key in getattr(args, option).split(",") if key]
        unknown = set(chosen) - set(CASE_KEYS)
        if unknown:
            parser.error(f"unknown case(s) in --{option}: {', '.join(sorted(unknown))}")
        setattr(args, option, chosen)
    try:
        args.nodes = parse_layouts(args.nodes)
    except ValueError as error:
        parser.error(f"--nodes: {error}")
    return args


def ensure_tool(command, package):
    if shutil.which(command):
        return
    if os.geteuid() != 0:
        sys.exit(f"`{command}` is missing: install it with `sudo apt-get install {package}`.")
    print(f"Installing {package} with apt-get")
    subprocess.run(["apt-get", "update", "-qq"], check=True)  # noqa: S607
    subprocess.run(  # noqa: S603
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package],  # noqa: S607
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


# --- the database and the cache ---------------------------------------------------------


def throwaway_postgres(cleanup, database_url):
    """CREATE a new database next to the one DATABASE_URL names; DROP it at the end."""
    import psycopg

    parsed = urllib.parse.urlsplit(database_url)
    name = f"bench_{secrets.token_hex(4)}"
    admin_url = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    cleanup.callback(drop)
    return parsed._replace(path=f"/{name}").geturl(), name


def redis_for_bench(cleanup):
    """(REDIS_URL, key prefix, how it was chosen). Keys of this run are deleted afterwards.

    The prefix is random and the site's caches all start with it (the default cache with
    "<prefix>:", the comment limits with "<prefix>-limits:"), so "<prefix>*" is this run's
    keys and nothing else.
    """
    import redis

    url = os.environ.get("REDIS_URL")
    chosen = "from REDIS_URL"
    if not url:
        try:
            redis.Redis.from_url(settings.REDIS_DEFAULT_URL, socket_timeout=1).ping()
        except redis.RedisError:
            return None, None, "Redis not answering on 127.0.0.1:6379: per-process memory cache"
        url = settings.REDIS_DEFAULT_URL
        chosen = "REDIS_URL was not set; Redis answered, so the bench uses it"
    prefix = f"bench-{secrets.token_hex(4)}"

    def delete_keys():
        empty_caches(redis.Redis.from_url(url), prefix)

    cleanup.callback(delete_keys)
    return url, prefix, chosen


def empty_caches(client, prefix):
    """Delete every key of this run: the cached pages and API answers, thread HTML, the
    content versions (so each worker's own memory of recent answers, keyed by them,
    misses too), Wagtail's site root paths and the comment limits."""
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])
    return len(keys)


def count_stored(db, tag, result):
    """What the database holds for one POST run: its rows are found by the run's text tag.

    Every text is unique, so "stored exactly once" means as many distinct texts as 2xx
    answers and no text twice. The ids in the answers are checked too: an answer naming
    a comment that is not this request's shows as a repeated or unknown id.
    """
    pattern = f"{tag}-%"
    if db["kind"] == "sqlite":
        with sqlite3.connect(db["path"]) as connection:
            rows = connection.execute(db["query"], (pattern,)).fetchall()
    else:
        import psycopg

        with psycopg.connect(db["url"]) as connection:
            rows = connection.execute(db["query"].replace("?", "%s"), (pattern,)).fetchall()
    texts = {row[1] for row in rows}
    stored_ids = {row[0] for row in rows}
    acked = result.acked or 0
    return {
        "rows": len(rows),
        "found": min(acked, len(texts)),
        "lost": max(0, acked - len(texts)),
        "duplicates": len(rows) - len(texts),
        "unacknowledged": max(0, len(texts) - acked),
        "wrong_ids": len(result.ids) - len(set(result.ids) & stored_ids),
    }


# --- the servers ------------------------------------------------------------------------


def django_env(workdir, database_url, redis_url, key_prefix):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="cms.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="off",
        SECURE_HSTS_SECONDS="0",
        COMMENTS_RATE_LIMITS="off",
        STATIC_ROOT=str(Path(workdir) / "static"),
        MEDIA_ROOT=str(Path(workdir) / "media"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env["SQLITE_PATH"] = str(Path(workdir) / "db.sqlite3")
    if redis_url:
        env["REDIS_URL"] = redis_url
        env["CACHE_KEY_PREFIX"] = key_prefix
    else:
        env["CACHE_PER_PROCESS"] = "true"
    return env


def nginx_config(directory, port, document_root):
    return foreground_config(
        directory,
        f"""types {{ application/json json; }}
default_type application/octet-stream;
server {{
    listen 127.0.0.1:{port};
    root {document_root};
}}""",
    )


def start_nginx(cleanup, thread_json):
    """nginx in the foreground on a free port, never as root: as `nobody` when we are root."""
    directory = Path(cleanup.tempdir("bench-nginx-"))
    (directory / "thread.json").write_bytes(thread_json)
    port = free_port()
    config = directory / "nginx.conf"
    config.write_text(nginx_config(directory, port, directory))
    command = foreground_command(directory, config)
    log = directory / "stdout.log"
    process = cleanup.start("nginx", command, log_path=log)
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(f"{url}/thread.json", process, "nginx", directory / "error.log")
    return url, process


def front_config(directory, port, upstream, env):
    """deploy/nginx.conf as production uses it, inside a minimal main config."""
    return standalone_config(
        directory,
        UPSTREAM=upstream,
        LISTEN=f"127.0.0.1:{port}",
        SERVER_NAME="127.0.0.1",
        STATIC_ROOT=env["STATIC_ROOT"],
        MEDIA_ROOT=env["MEDIA_ROOT"],
    )


def start_front(cleanup, ours_url, ours, env, post_path):
    """The site behind deploy/nginx.conf, as production runs it (the measured cases are
    pages and API answers; static and media files are not among them)."""
    directory = Path(cleanup.tempdir("bench-front-"))
    port = free_port()
    config = directory / "nginx.conf"
    upstream = ours_url.removeprefix("http://")
    config.write_text(front_config(directory, port, upstream, env))
    command = foreground_command(directory, config)
    process = cleanup.start("nginx (front)", command, log_path=directory / "stdout.log")
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url + post_path, process, "nginx (front)", directory / "error.log")
    # The CPU of a request through the front is nginx's plus whatever reached Django.
    process.companion_pids = [ours.pid, *children_of(ours.pid), *ours.companion_pids]
    return url, process


def gunicorn_ours(port, workers=None):
    return [
        str(PYTHON.parent / "gunicorn"),
        "--workers",
        str(workers or settings.WORKERS),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "60",
        "--log-level",
        "warning",
        "cms.wsgi",
    ]


# --- measuring --------------------------------------------------------------------------


def wrk_script(workdir, case, *, several_paths=False):
    parts = ["stats.lua"]
    if case.method == "POST":
        parts += ["post_common.lua", f"post_{case.server}.lua"]
    elif several_paths:
        parts.append("get_paths.lua")
    script = Path(workdir) / f"{case.key}.lua"
    script.write_text("\n".join((LUA / part).read_text() for part in parts))
    return script


def run_wrk(url, script, seconds, env, result_path):
    command = [
        "wrk",
        f"--threads={settings.THREADS}",
        f"--connections={settings.CONNECTIONS}",
        f"--duration={max(1, round(seconds))}s",
        f"--timeout={settings.REQUEST_TIMEOUT_SECONDS}s",
        f"--script={script}",
        url,
    ]
    completed = subprocess.run(  # noqa: S603
        command,
        env={**os.environ, **env, "BENCH_WRK_RESULT": str(result_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0 or not Path(result_path).exists():
        raise RuntimeError(f"wrk failed: {completed.stderr or completed.stdout}")
    return parse_wrk_result(Path(result_path).read_text())


def ensure_py_spy():
    venv = BENCH / ".profile-venv"
    binary = venv / "bin" / "py-spy"
    marker = venv / f".installed-py-spy-{settings.PY_SPY_VERSION}"
    if not marker.exists():
        print(f"Installing py-spy {settings.PY_SPY_VERSION} into {venv}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)  # noqa: S603
        subprocess.run(  # noqa: S603
            [str(venv / "bin" / "pip"), "install", "--quiet", f"py-spy=={settings.PY_SPY_VERSION}"],
            capture_output=True,
            check=True,
        )
        marker.touch()
    return binary


def start_profilers(cleanup, master_pid, seconds, workdir, key):
    py_spy = ensure_py_spy()
    profilers = []
    for worker in children_of(master_pid):
        output = Path(workdir) / f"profile-{key}-{worker}.txt"
        process = cleanup.start(
            f"py-spy {worker}",
            [
                str(py_spy),
                "record",
                "--pid",
                str(worker),
                "--duration",
                str(max(1, round(seconds))),
                "--rate",
                "200",
                "--nonblocking",
                "--format",
                "raw",
                "--output",
                str(output),
            ],
            log_path=Path(workdir) / f"py-spy-{worker}.log",
        )
        profilers.append((process, output))
    return profilers


def summarise_profiles(profilers, key, top=25):
    """Collapsed stacks from py-spy → the frames that hold the most samples."""
    own, inclusive, total = {}, {}, 0
    for process, output in profilers:
        process.wait(60)
        if not output.exists():
            continue
        for line in output.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack:
                continue
            samples = int(count)
            total += samples
            frames = stack.split(";")
            own[frames[-1]] = own.get(frames[-1], 0) + samples
            for frame in set(frames):
                inclusive[frame] = inclusive.get(frame, 0) + samples
    if not total:
        return None
    lines = [f"py-spy samples of both workers during the measured run of {key}: {total}", ""]
    lines.append("Most samples in the function itself:")
    for frame, samples in sorted(own.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"  {100 * samples / total:5.1f}%  {frame}")
    lines += ["", "Most samples including callees (project code and the libraries it calls):"]
    ranked = sorted(inclusive.items(), key=lambda item: -item[1])
    for frame, samples in [item for item in ranked if INTERESTING_FRAME.search(item[0])][:top]:
        lines.append(f"  {100 * samples / total:5.1f}%  {frame}")
    path = BENCH / "results" / f"profile-{key}.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


# --- the report -------------------------------------------------------------------------


def tool_version(command):
    completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    text = (completed.stdout + completed.stderr).strip().splitlines()
    return text[0] if text else "?"


def machine_info():
    cpu = "?"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "?"
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    debian = Path("/etc/debian_version")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout.strip()
    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "Memory": memory,
        "OS": f"{platform.system()} {platform.release()}"
        + (f", Debian {debian.read_text().strip()}" if debian.exists() else ""),
        "Python": platform.python_version(),
        "Django / Wagtail": f"{importlib.metadata.version('django')} / "
        f"{importlib.metadata.version('wagtail')}",
        "gunicorn": importlib.metadata.version("gunicorn"),
        "Isso": settings.ISSO_VERSION,
        "wrk": tool_version(["wrk", "-v"]).split(" [")[0],
        "nginx": tool_version(["nginx", "-v"]).split(": ")[-1],
        "Code": f"{commit}{' with uncommitted changes' if dirty else ''}",
    }


def write_markdown(path, *, context, cases, results, checks):
    lines = [
        "# Benchmark results",
        "",
        f"Run on {context['date']} by `make bench` (bench/run.py). "
        "How to read this: [docs/benchmarks.md](../../docs/benchmarks.md).",
        "",
        results_table(cases, results),
        "",
        "req/s over the measured run; p50/p99 latency as wrk saw it; CPU/req is the CPU "
        "time of the server's own processes (master and workers, not Redis or the "
        "database) divided by the requests, which neighbours on the machine do not skew; "
        "Size is the average response with headers; ratios compare requests per second.",
        "",
        "## Targets (issue 6)",
        "",
        targets_table(checks),
        "",
        "## Setup",
        "",
    ]
    lines += [f"- {name}: {value}" for name, value in context["setup"].items()]
    lines += ["", "## Machine", ""]
    lines += [f"- {name}: {value}" for name, value in context["machine"].items()]
    lines.append("")
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("\n".join(lines))
    temporary.replace(path)


# --- several app nodes (issue 16) --------------------------------------------------------

#: What is measured per layout: the page and the API detail through the front (nginx's
#: 1 s shared cache, then the nodes' page cache), and the comment POST (nothing lost).
NODE_CASES = {
    "page_edge": "Seed post, HTML page, through nginx",
    "v2_detail_edge": "API v2 post detail, through nginx",
    "post_ours": "Comment POST, through nginx",
}


def parse_layouts(text):
    """ "1x2,2x1" -> [(1, 2), (2, 1)]: nodes, and sync workers on each."""
    layouts = []
    for layout in filter(None, text.split(",")):
        nodes, _, workers = layout.partition("x")
        if not (nodes.isdigit() and workers.isdigit() and int(nodes) and int(workers)):
            raise ValueError(f"{layout!r} is not NODESxWORKERS (for example 2x1)")
        layouts.append((int(nodes), int(workers)))
    return layouts


def start_nodes(cleanup, env, post_path, workdir, nodes, workers):
    """``nodes`` gunicorn servers on ports of their own, ``workers`` sync workers each,
    each with its own task worker, sharing the database, Redis and SECRET_KEY (``env``),
    as docs/deploy.md section 9 lays them out. Returns (address, gunicorn, db_worker)."""
    started = []
    for number in range(1, nodes + 1):
        name = f"node {number} of {nodes}x{workers}"
        port = free_port()
        log = workdir / f"gunicorn-{nodes}x{workers}-node{number}.log"
        process = cleanup.start(
            f"gunicorn ({name})", gunicorn_ours(port, workers), log_path=log, env=env, cwd=ROOT
        )
        worker = cleanup.start(
            f"db_worker ({name})",
            [str(PYTHON), "manage.py", "db_worker", "--no-reload", "--interval", "0.5"],
            log_path=workdir / f"db_worker-{nodes}x{workers}-node{number}.log",
            env=env,
            cwd=ROOT,
        )
        wait_until_serving(f"http://127.0.0.1:{port}{post_path}", process, name, log)
        started.append((f"127.0.0.1:{port}", process, worker))
    return started


def start_nodes_front(cleanup, nodes, env, post_path):
    """deploy/nginx.conf with one ``server`` line per node in its upstream."""
    directory = Path(cleanup.tempdir("bench-nodes-front-"))
    port = free_port()
    upstream = "; server ".join(address for address, _, _ in nodes)
    (directory / "nginx.conf").write_text(front_config(directory, port, upstream, env))
    command = foreground_command(directory, directory / "nginx.conf")
    process = cleanup.start("nginx (nodes front)", command, log_path=directory / "stdout.log")
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url + post_path, process, "nginx (nodes front)", directory / "error.log")
    process.companion_pids = [
        pid
        for _, gunicorn, worker in nodes
        for pid in (gunicorn.pid, *children_of(gunicorn.pid), worker.pid)
    ]
    return url, process


def measure_layouts(cleanup, args, env, site, workdir, wrk_env, paths):
    """Each layout in turn, alone on the machine's cores with the single site idle; its
    processes are stopped before the next layout starts."""
    cases, results = [], {}
    for nodes, workers in args.nodes:
        print(f"\n{nodes} node(s) x {workers} worker(s) behind one nginx upstream:")
        started = start_nodes(cleanup, env, site["post_path"], workdir, nodes, workers)
        url, front = start_nodes_front(cleanup, started, env, site["post_path"])
        for key, label in NODE_CASES.items():
            case = next(case for case in CASES if case.key == key)
            layout_case = Case(
                f"{key}@{nodes}x{workers}",
                f"{label}, {nodes} node(s) x {workers} worker(s)",
                case.server,
                case.method,
            )
            cases.append(layout_case)
            results[layout_case.key] = measure(
                cleanup,
                layout_case,
                url + paths[key],
                front,
                wrk_env,
                workdir,
                site["db"] if case.method == "POST" else None,
                profile=False,
            )
        stop_process_group("nginx (nodes front)", front)
        for address, gunicorn, worker in started:
            stop_process_group(f"gunicorn ({address})", gunicorn)
            stop_process_group(f"db_worker ({address})", worker)
    return cases, results


def write_layouts(path, *, context, cases, results):
    lines = [
        "# Several app nodes behind one nginx",
        "",
        f"Run on {context['date']} by `make bench BENCH_ARGS=--nodes=...` (bench/run.py). "
        "How to read this: [docs/benchmarks.md](../../docs/benchmarks.md), "
        "[docs/deploy.md](../../docs/deploy.md) section 9.",
        "",
        "Every node runs gunicorn (sync workers) and a db_worker; all share one database, "
        "one Redis and the SECRET_KEY; nginx (deploy/nginx.conf) balances over an upstream "
        "with one server line per node. CPU/req counts nginx, every node's gunicorn and "
        "task worker.",
        "",
        results_table(cases, results),
        "",
        "## Setup",
        "",
    ]
    lines += [f"- {name}: {value}" for name, value in context["setup"].items()]
    lines += ["", "## Machine", ""]
    lines += [f"- {name}: {value}" for name, value in context["machine"].items()]
    lines.append("")
    path.write_text("\n".join(lines))


# --- the run ---------------------------------------------------------------------------


def build_site(cleanup, args, specs, workdir):
    """The throwaway database, the cache and the Django environment, filled and migrated."""
    database_url, database_note = None, "SQLite (WAL) in the temp directory"
    if os.environ.get("DATABASE_URL"):
        database_url, name = throwaway_postgres(cleanup, os.environ["DATABASE_URL"])
        database_note = f"PostgreSQL, throwaway database {name} (dropped at the end)"
    redis_url, key_prefix, cache_note = redis_for_bench(cleanup)
    if redis_url:
        cache_note += f" ({redis_url}, key prefix {key_prefix})"
    print(f"Database: {database_note}\nCache: {cache_note}")
    env = django_env(workdir, database_url, redis_url, key_prefix)

    print(f"Building the site: migrate, seed, {args.posts} posts, {args.comments} comments")
    started = time.monotonic()
    log = workdir / "setup.log"
    manage = [str(PYTHON), str(ROOT / "manage.py")]
    thread_file = workdir / "thread.json"
    thread_file.write_text(json.dumps([asdict(spec) for spec in specs]))
    populate = [str(PYTHON), str(BENCH / "populate.py"), "--posts", str(args.posts)]
    populate += ["--thread", str(thread_file), "--output", str(workdir / "site.json")]
    for command in (
        [*manage, "migrate", "--noinput"],
        [*manage, "load_seed_content"],
        populate,
        [*manage, "collectstatic", "--noinput"],
    ):
        run_logged(command, log_path=log, env=env, cwd=ROOT, what=" ".join(command[1:3]))
    site = json.loads((workdir / "site.json").read_text())
    print(f"  built in {time.monotonic() - started:.0f} s; the seed post is {site['post_path']}")

    if database_url:
        site["db"] = {"kind": "postgres", "url": database_url}
    else:
        site["db"] = {"kind": "sqlite", "path": env["SQLITE_PATH"]}
    site["db"]["query"] = "SELECT id, body FROM comments_comment WHERE body LIKE ?"
    site["notes"] = {"Database": database_note, "Cache": cache_note}
    site["database"] = "postgresql" if database_url else "sqlite"
    site["redis"] = (redis_url, key_prefix) if redis_url else None
    return env, site


def start_site(cleanup, env, site, workdir):
    port = free_port()
    log = workdir / "gunicorn.log"
    process = cleanup.start("gunicorn (site)", gunicorn_ours(port), log_path=log, env=env, cwd=ROOT)
    # As in production, a task worker sends the moderators' notices; its CPU is counted
    # with the site's (see measure()).
    worker = cleanup.start(
        "db_worker (site)",
        [str(PYTHON), "manage.py", "db_worker", "--no-reload", "--interval", "0.5"],
        log_path=workdir / "db_worker.log",
        env=env,
        cwd=ROOT,
    )
    process.companion_pids = [worker.pid]
    process.task_worker_pid = worker.pid
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(url + site["post_path"], process, "the site", log)
    print(
        f"Site: {url} (gunicorn, {settings.WORKERS} sync workers, cms.settings.production; "
        "a db_worker for notices)"
    )
    return url, process


def start_isso(cleanup, bin_dir, site_url, post_path, specs):
    directory = Path(cleanup.tempdir("bench-isso-"))
    config = isso.write_config(directory, site_url=site_url + "/")
    port = free_port()
    log = directory / "gunicorn.log"
    process = cleanup.start(
        "gunicorn (Isso)",
        isso.gunicorn_command(bin_dir, port),
        log_path=log,
        env={**os.environ, "ISSO_SETTINGS": str(config)},
        cwd=directory,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(f"{url}/info", process, "Isso", log)
    isso.load_thread(url, post_path, "Is Dry Needling Effective?", specs)
    print(f"Isso: {url} (gunicorn, {settings.WORKERS} sync workers), {len(specs)} comments loaded")
    db = {
        "kind": "sqlite",
        "path": directory / "comments.db",
        "query": "SELECT id, text FROM comments WHERE text LIKE ?",
    }
    return url, process, db


def thread_pages(ours_url, isso_url, post_path, post_id, expected):
    """Our thread's page paths (the whole thread, THREAD_PAGE_SIZE a page), the first
    page's JSON (the static floor serves it) and the comments each case's answers carry.

    Both servers must send the whole thread, or the comparison is not of equal work.
    """
    size = settings.THREAD_PAGE_SIZE
    first = f"/api/v3/comments/?page={post_id}&limit={size}"
    first_json = fetch_ok(ours_url + first, "Our comment thread")
    total = json.loads(first_json)["count"]
    paths = [first] + [f"{first}&offset={offset}" for offset in range(size, total, size)]
    ours = sum(len(json.loads(fetch_ok(ours_url + path, "Our thread"))["items"]) for path in paths)
    theirs = isso.count_comments(json.loads(fetch_ok(f"{isso_url}/?uri={post_path}", "Isso")))
    if not ours == theirs == expected:
        raise RuntimeError(
            f"The thread GETs are not equal work: ours sends {ours} comments in {len(paths)} "
            f"requests, Isso {theirs}; the thread has {expected}."
        )
    return paths, first_json, {"thread_ours": ours / len(paths), "thread_isso": theirs}


def cache_emptier(redis_settings):
    """A function that empties this run's caches, or None without Redis (a per-process
    cache lives inside the workers, out of the harness's reach)."""
    if redis_settings is None:
        return None
    import redis

    url, prefix = redis_settings
    client = redis.Redis.from_url(url)
    return lambda: empty_caches(client, prefix)


def write_json(path, *, context, results):
    """The run's results for bench/merge.py, which puts SQLite and PostgreSQL side by side."""
    data = {
        "context": context,
        "results": {key: result.to_json() for key, result in results.items()},
    }
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=1) + "\n")
    temporary.replace(path)


def fetch_ok(url, what):
    status, body = http_request(url)
    if status != 200:
        raise RuntimeError(f"{what} ({url}) answered HTTP {status}: {body[:300]!r}")
    return body


def hold(servers, paths, wrk_env):
    print("\nHolding (Ctrl-C stops everything):")
    for server, (base_url, process) in servers.items():
        print(f"  {server}: {base_url} (pid {process.pid})")
    for key, path in paths.items():
        print(f"  {key}: {path}")
    print(f"  form token: {wrk_env['BENCH_FORM_TOKEN']}")
    while True:
        time.sleep(3600)


def drain(url, case):
    """Wait until the requests wrk left queued when it stopped have been served.

    wrk closes its connections at the deadline, but a sync worker still serves what is
    already in its listen queue; one request per worker sent now is answered only after
    that backlog, so the next run starts on an idle server.
    """
    probe = url if case.method == "GET" else url.split("/new?")[0].split("/api/")[0] + "/"
    for _ in range(settings.WORKERS):
        try:
            http_request(probe, timeout=120)
        except OSError:
            return


def combine_runs(runs):
    """The run with the median req/s stands for the case; a POST's integrity counts are
    summed over every run, so a comment lost in any run shows."""
    result = sorted(runs, key=lambda run: run.rps)[len(runs) // 2]
    result.run_rps = [run.rps for run in runs]
    if result.stored is not None and len(runs) > 1:
        result.acked = sum(run.acked or 0 for run in runs)
        result.stored = {key: sum(run.stored[key] for run in runs) for key in result.stored}
    return result


def measure(
    cleanup, case, url, process, wrk_env, workdir, database, profile, comments_per_response=None
):
    """Warm up, then measure one case; for a POST, check what the database stored."""
    script = wrk_script(workdir, case, several_paths="BENCH_GET_PATHS" in wrk_env)
    run_tag = f"{case.server}-{secrets.token_hex(3)}"
    warmup_env = {**wrk_env, "BENCH_RUN_TAG": f"{run_tag}-warmup"}
    warmup = run_wrk(url, script, settings.WARMUP_SECONDS, warmup_env, workdir / "warmup.json")
    drain(url, case)
    profilers = []
    if profile:
        profilers = start_profilers(
            cleanup, process.pid, settings.DURATION_SECONDS, workdir, case.key
        )
    runs = []
    for repeat in range(settings.REPEAT):
        tag = f"{run_tag}-measure{repeat}"
        server_pids = [
            process.pid,
            *children_of(process.pid),
            *getattr(process, "companion_pids", []),
        ]
        task_worker = [process.task_worker_pid] if hasattr(process, "task_worker_pid") else []
        cpu_before, task_cpu_before = cpu_seconds(server_pids), cpu_seconds(task_worker)
        run = run_wrk(
            url,
            script,
            settings.DURATION_SECONDS,
            {**wrk_env, "BENCH_RUN_TAG": tag},
            workdir / f"{case.key}-{repeat}.json",
        )
        run.server_cpu_seconds = cpu_seconds(server_pids) - cpu_before
        if task_worker:
            run.task_worker_cpu_seconds = cpu_seconds(task_worker) - task_cpu_before
        drain(url, case)
        if case.method == "POST":
            run.stored = count_stored(database, tag, run)
        runs.append(run)
    result = combine_runs(runs)
    result.comments_per_response = comments_per_response
    if case.method == "POST":
        warm_stored = count_stored(database, f"{run_tag}-warmup", warmup)
        if warm_stored["lost"] or warm_stored["duplicates"]:
            print(f"  warning: the warm-up of {case.key} lost or duplicated: {warm_stored}")
    print_case(case, result, profilers)
    return result


def print_case(case, result, profilers=()):
    line = f"  {case.key:<12} {result.rps:>9,.1f} req/s  p50 {format_ms(result.p50_ms):>9}"
    line += f"  p99 {format_ms(result.p99_ms):>9}  CPU {format_cpu(result.cpu_ms_per_request)}/req"
    notes = (
        task_worker_note(result),
        runs_note(result),
        non_2xx_note(result),
        integrity_note(result),
    )
    if note := "; ".join(filter(None, notes)):
        line += f"  ({note})"
    print(line)
    if profilers:
        print(f"    profile: {summarise_profiles(profilers, case.key)}")


def post_case_env(key, site):
    """What a POST case's script sends besides the comment: the returning reader's
    address and proof for ``post_ours`` (bench/lua/post_ours.lua), nothing for the others,
    whose every comment comes from an address never seen before."""
    if key != "post_ours":
        return {}
    reader = site["confirmed_reader"]
    return {"BENCH_CONFIRMED_EMAIL": reader["email"], "BENCH_CONFIRMATION": reader["proof"]}


def measure_cold(url, process, empty, seconds):
    """One reader at a time, the caches emptied before each request: what the first
    reader after a change pays. wrk cannot empty a cache between its requests, so this
    loop sends them itself, on one keep-alive connection as a browser would.

    Only the request is timed; emptying Redis happens between requests, and the CPU it
    costs is Redis's, which is not counted as the server's.
    """
    parsed = urllib.parse.urlsplit(url)
    target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    latencies, statuses, received, served_from_cache = [], {}, 0, 0
    server_pids = [process.pid, *children_of(process.pid)]
    cpu_before = cpu_seconds(server_pids)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline or len(latencies) < settings.COLD_MIN_REQUESTS:
            empty()
            started = time.perf_counter()
            connection.request("GET", target)
            response = connection.getresponse()
            body = response.read()
            latencies.append(time.perf_counter() - started)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            served_from_cache += response.getheader("X-Page-Cache") == "hit"
            received += len(body) + sum(len(k) + len(v) + 4 for k, v in response.getheaders())
    finally:
        connection.close()
    server_cpu = cpu_seconds(server_pids) - cpu_before
    if served_from_cache:
        print(f"  warning: {served_from_cache} cold requests were page-cache hits")
    return cold_result(latencies, statuses, received, server_cpu)


def cold_result(latencies, statuses, received, server_cpu):
    """The loop's timings (seconds) as wrk's would be: req/s is one reader's, 1 / mean."""
    milliseconds = [1000 * latency for latency in latencies]
    return CaseResult(
        requests=len(latencies),
        seconds=sum(latencies),
        bytes=received,
        p50_ms=percentile(milliseconds, 50),
        p90_ms=percentile(milliseconds, 90),
        p99_ms=percentile(milliseconds, 99),
        max_ms=max(milliseconds, default=0.0),
        errors={"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0},
        statuses=statuses,
        server_cpu_seconds=server_cpu,
    )


def main():
    args = parse_args()
    specs = thread_comments(args.comments, args.replies)
    selected = [case for case in CASES if case.key in args.cases]
    ensure_tool("wrk", "wrk")
    ensure_tool("nginx", "nginx")
    isso_bin = isso.ensure_isso_venv()
    load_before = os.getloadavg()

    with Cleanup() as cleanup:
        workdir = Path(cleanup.tempdir("bench-"))
        print(f"Working directory (removed at the end): {workdir}")
        env, site = build_site(cleanup, args, specs, workdir)
        ours_url, ours = start_site(cleanup, env, site, workdir)
        post_id, post_path = site["post_id"], site["post_path"]
        isso_url, isso_process, isso_db = start_isso(cleanup, isso_bin, ours_url, post_path, specs)
        thread_paths, thread_json, per_response = thread_pages(
            ours_url, isso_url, post_path, post_id, len(specs)
        )
        static_url, nginx = start_nginx(cleanup, thread_json)
        print(f"nginx: {static_url}/thread.json ({len(thread_json):,} bytes, our thread's JSON)")
        edge_url, front = start_front(cleanup, ours_url, ours, env, post_path)
        print(f"nginx front: {edge_url} (deploy/nginx.conf before the site's gunicorn)")
        token = fetch_ok(f"{ours_url}/api/v3/comments/form-token/?page={post_id}", "Form token")

        servers = {
            "ours": (ours_url, ours),
            "isso": (isso_url, isso_process),
            "static": (static_url, nginx),
            "edge": (edge_url, front),
        }
        paths = {
            "page": post_path,
            "page_cold": post_path,
            "v2_detail": f"/api/v2/pages/{post_id}/",
            "v2_detail_cold": f"/api/v2/pages/{post_id}/",
            "page_edge": post_path,
            "v2_detail_edge": f"/api/v2/pages/{post_id}/",
            "v2_listing": "/api/v2/pages/?type=blog.BlogPostPage&fields=*",
            "thread_ours": thread_paths,
            "thread_isso": f"/?uri={post_path}",
            "static": "/thread.json",
            "post_ours": "/api/v3/comments/",
            "post_ours_first": "/api/v3/comments/",
            "post_isso": f"/new?uri={post_path}",
        }
        databases = {"ours": site["db"], "isso": isso_db}
        wrk_env = {
            "BENCH_PAGE_ID": str(post_id),
            "BENCH_ISSO_URI": post_path,
            "BENCH_FORM_TOKEN": json.loads(token)["token"],
        }
        if args.hold:
            hold(servers, paths, wrk_env)

        print(
            f"\nwrk: {settings.THREADS} threads, {settings.CONNECTIONS} connections, "
            f"{settings.WARMUP_SECONDS:g} s warm-up, then {settings.DURATION_SECONDS:g} s a case"
        )
        if max(load_before) > (os.cpu_count() or 1):
            print(
                f"  warning: the load average is {load_before[0]:.1f} on "
                f"{os.cpu_count()} cores; other work on this machine will lower the numbers"
            )
        # The task worker's start-up, and whatever the build queued, would otherwise count
        # in the first cases' CPU/req.
        waited = wait_until_idle([ours.task_worker_pid])
        if waited is None:
            print("  warning: the task worker is still busy; the first cases count its CPU")
        elif waited > 1.5:
            print(f"  waited {waited:.0f} s for the task worker to go idle")
        results = {}
        empty = cache_emptier(site["redis"])
        for case in selected:
            base_url, process = servers[case.server]
            case_paths = paths[case.key] if isinstance(paths[case.key], list) else [paths[case.key]]
            url = base_url + case_paths[0]
            if case.method == "GET":
                status, body = http_request(url)
                if status != 200:
                    print(f"  {case.key}: skipped, {url} answered HTTP {status}: {body[:200]!r}")
                    continue
            if case.cold_of:
                if empty is None:
                    print(f"  {case.key}: skipped, emptying the caches needs Redis")
                    continue
                result = measure_cold(url, process, empty, settings.DURATION_SECONDS)
                print_case(case, result)
                results[case.key] = result
                continue
            case_env = {**wrk_env, **post_case_env(case.key, site)}
            if len(case_paths) > 1:
                case_env["BENCH_GET_PATHS"] = " ".join(case_paths)
            results[case.key] = measure(
                cleanup,
                case,
                url,
                process,
                case_env,
                workdir,
                databases.get(case.server),
                profile=case.key in args.profile,
                comments_per_response=per_response.get(case.key),
            )

        if args.nodes:
            node_cases, node_results = measure_layouts(
                cleanup, args, env, site, workdir, wrk_env, paths
            )
        checks = check_targets(results)
        print(f"\n{results_table(CASES, results)}\n\n{targets_table(checks)}")
        context = {
            "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "setup": run_settings(args, site, thread_paths, post_path),
            "machine": {
                **machine_info(),
                "Load average (1, 5, 15 min)": f"{format_load(load_before)} before, "
                f"{format_load(os.getloadavg())} after",
            },
        }
        if args.output != Path("-"):
            output = args.output or BENCH / "results" / f"latest-{site['database']}.md"
            write_markdown(output, context=context, cases=CASES, results=results, checks=checks)
            write_json(output.with_suffix(".json"), context=context, results=results)
            print(f"\nWritten to {output} and {output.with_suffix('.json')}")
            if args.nodes:
                nodes_output = output.with_name(f"nodes-{site['database']}.md")
                write_layouts(nodes_output, context=context, cases=node_cases, results=node_results)
                write_json(nodes_output.with_suffix(".json"), context=context, results=node_results)
                print(f"Several nodes: {nodes_output} and {nodes_output.with_suffix('.json')}")
    return 0


def format_load(load):
    return " / ".join(f"{value:.2f}" for value in load)


def thread_requests_note(thread_paths):
    if len(thread_paths) == 1:
        return f"in one request (`{thread_paths[0]}`)"
    return (
        f"in {len(thread_paths)} requests of at most {settings.THREAD_PAGE_SIZE} comments, "
        f"taken in turn (`{thread_paths[0]}`, then `&offset=`…)"
    )


def run_settings(args, site, thread_paths, post_path):
    return {
        "wrk": f"{settings.THREADS} threads, {settings.CONNECTIONS} connections, "
        f"{settings.WARMUP_SECONDS:g} s warm-up, {settings.DURATION_SECONDS:g} s measured "
        + (f"{settings.REPEAT} times (median reported), " if settings.REPEAT > 1 else "")
        + f"{settings.REQUEST_TIMEOUT_SECONDS} s request timeout",
        "Servers": f"gunicorn, {settings.WORKERS} sync workers each (the site with "
        "cms.settings.production, Isso with moderation and guard off); nginx with "
        "worker_processes auto and keep-alive",
        "Content": f"seed article + {args.posts} generated posts; a thread of {args.comments} "
        f"comments ({args.replies} of them replies) on the seed article, the same in Isso",
        **site["notes"],
        "Thread GET": f"the whole thread of {args.comments} comments from both: ours "
        + thread_requests_note(thread_paths)
        + f", Isso in one (`/?uri={post_path}`); ours/Isso compares comments per second",
        "Cold cases": "one request at a time on one keep-alive connection, every key of the "
        "run deleted from Redis before each (cached pages and API answers, content versions, "
        "thread HTML, site root paths); the workers' own memory of recent answers is keyed "
        "by the content versions, so it misses too. Python's imports and compiled "
        "templates stay warm",
        "Comment rules": "COMMENTS_RATE_LIMITS=off (flood and timing rules off)",
        "Comment POST": "ours as a returning reader (one confirmed address with an approved "
        "comment, sending the API's `confirmation` proof: published at once, as Isso with "
        "moderation off publishes) and as a new address's first comment (held, and a "
        "confirmation link mailed by the task worker); Isso anonymous, a new address each "
        "time. The target is judged on the returning reader",
    }


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nInterrupted; everything the bench started has been stopped and removed.")
        sys.exit(130)
