"""
The harness's equal-work thread case, the cold cases and the SQLite/PostgreSQL merge:
what they count, compare and write. Nothing here measures time.
"""

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis

from bench import isso
from bench.merge import load_runs, merged_markdown
from bench.processes import wait_until_idle
from bench.report import CaseResult, check_targets, merged_table, percentile, results_table
from bench.run import (
    CASES,
    cold_result,
    empty_caches,
    post_case_env,
    thread_pages,
    write_json,
)

REDIS_URL = "redis://127.0.0.1:6379/8"


def result(rps, **extra):
    return CaseResult(
        requests=int(rps * 10),
        seconds=10.0,
        bytes=int(rps * 10) * 1000,
        p50_ms=5.0,
        p90_ms=9.0,
        p99_ms=20.0,
        max_ms=50.0,
        errors={"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0},
        **extra,
    )


def isso_thread(top_level, replies_each):
    reply = {"id": 0, "replies": []}
    return {
        "id": None,
        "replies": [{"id": n, "replies": [reply] * replies_each} for n in range(top_level)],
    }


def test_isso_comments_are_counted_with_their_nested_replies():
    assert isso.count_comments(isso_thread(40, 0)) == 40
    assert isso.count_comments(isso_thread(80, 0) | {"replies": []}) == 0
    nested = {"replies": [{"replies": [{"replies": [{"replies": []}]}]}]}
    assert isso.count_comments(nested) == 3


def test_thread_ratio_compares_comments_when_ours_needs_two_requests():
    # Ours: 2,000 req/s of 50 comments; Isso: 20 req/s of the whole 100.
    ours = result(2000, server_cpu_seconds=20.0, comments_per_response=50)
    theirs = result(20, server_cpu_seconds=8.0, comments_per_response=100)
    results = {"thread_ours": ours, "thread_isso": theirs}

    row = next(line for line in results_table(CASES, results).splitlines() if "| ours |" in line)
    check = next(check for check in check_targets(results) if "Thread" in check.name)

    assert "| 50× |" in row  # not 100×: each of our requests carries half the thread
    assert "50 comments a response: 100,000 comments/s, 20.0 µs CPU a comment" in row
    assert check.met is True
    assert "50× (100,000 vs 2,000 comments/s)" in check.detail
    assert "CPU per comment: ours 20.0 µs, Isso 0.40 ms" in check.detail


def test_percentile_is_the_nearest_rank():
    samples = list(range(1, 101))

    assert percentile(samples, 50) == 50
    assert percentile(samples, 99) == 99
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


def test_a_cold_loop_reads_as_one_reader_next_to_its_warm_case():
    cold = cold_result([0.010, 0.020, 0.030, 0.040], {200: 4}, 4000, server_cpu=0.08)
    results = {"page": result(1000, server_cpu_seconds=5.0), "page_cold": cold}

    assert cold.rps == pytest.approx(40)  # one reader: 4 requests in 0.1 s of requests
    assert cold.p50_ms == pytest.approx(20)
    assert cold.cpu_ms_per_request == pytest.approx(20)
    row = next(
        line for line in results_table(CASES, results).splitlines() if "caches emptied" in line
    )
    assert "one request at a time, caches emptied before each" in row
    assert "CPU/req 40× the warm case's, p50 4.00× the warm case's" in row


def test_emptying_the_caches_deletes_the_runs_keys_only():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("Redis is not answering on 127.0.0.1:6379")
    client.set("bench-test1234:1:api-version:pages", "v")
    client.set("bench-test1234-limits:1:flood", "1")
    client.set("bench-other:1:api-version:pages", "v")
    try:
        assert empty_caches(client, "bench-test1234") == 2
        assert client.exists("bench-test1234:1:api-version:pages") == 0
        assert client.exists("bench-test1234-limits:1:flood") == 0
        assert client.exists("bench-other:1:api-version:pages") == 1
    finally:
        client.delete("bench-other:1:api-version:pages")


@pytest.fixture
def fake_servers():
    """Our v3 thread in pages of two and Isso's whole thread, as canned JSON."""
    comments = [{"id": n} for n in range(5)]
    answers = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(answers[self.path]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = "/api/v3/comments/?page=7&limit=2"
    for offset in (0, 2, 4):
        path = base if offset == 0 else f"{base}&offset={offset}"
        answers[path] = {"count": 5, "items": comments[offset : offset + 2]}
    answers["/?uri=/post/"] = isso_thread(5, 0)
    yield f"http://127.0.0.1:{server.server_port}", answers
    server.shutdown()
    server.server_close()


def test_the_thread_is_read_whole_in_pages(fake_servers, monkeypatch):
    url, _ = fake_servers
    monkeypatch.setattr("bench.settings.THREAD_PAGE_SIZE", 2)

    paths, first_json, per_response = thread_pages(url, url, "/post/", 7, 5)

    assert paths == [
        "/api/v3/comments/?page=7&limit=2",
        "/api/v3/comments/?page=7&limit=2&offset=2",
        "/api/v3/comments/?page=7&limit=2&offset=4",
    ]
    assert len(json.loads(first_json)["items"]) == 2
    assert per_response == {"thread_ours": pytest.approx(5 / 3), "thread_isso": 5}


def test_a_thread_one_server_sends_only_in_part_is_refused(fake_servers, monkeypatch):
    url, answers = fake_servers
    monkeypatch.setattr("bench.settings.THREAD_PAGE_SIZE", 2)
    answers["/?uri=/post/"] = isso_thread(3, 0)  # Isso answering with a limit

    with pytest.raises(RuntimeError, match="not equal work: ours sends 5 comments in 3 requests"):
        thread_pages(url, url, "/post/", 7, 5)


def test_both_databases_share_one_table(tmp_path):
    stored = {"found": 10, "lost": 0, "duplicates": 0, "unacknowledged": 0, "wrong_ids": 0}
    by_database = {
        "sqlite": {
            "thread_ours": result(2000, comments_per_response=50, server_cpu_seconds=10.0),
            "thread_isso": result(20, comments_per_response=100),
            "post_ours": result(800, acked=10, stored=stored, statuses={201: 10}),
            "post_isso": result(400),
        },
        "postgresql": {
            "thread_ours": result(1000, comments_per_response=50),
            "thread_isso": result(20, comments_per_response=100),
        },
    }
    for name, results in by_database.items():
        context = {
            "date": "2026-11-30 03:00 UTC",
            "setup": {"Database": f"{name} throwaway"},
            "machine": {"Load average (1, 5, 15 min)": "3.10 / 2.00 / 1.00 before"},
        }
        write_json(tmp_path / f"latest-{name}.json", context=context, results=results)

    runs = load_runs(tmp_path)
    markdown = merged_markdown(runs)

    assert runs["sqlite"][1]["post_ours"].statuses == {201: 10}
    assert runs["sqlite"][1]["post_ours"].stored == stored
    header = next(line for line in markdown.splitlines() if line.startswith("| Case |"))
    assert "req/s SQLite | req/s PostgreSQL" in header
    thread = next(line for line in markdown.splitlines() if "| ours | 2,000 | 1,000 |" in line)
    assert "| 50× | 25× |" in thread  # ours/Isso on each database, in comments per second
    post = next(
        line
        for line in markdown.splitlines()
        if "Comment POST, a returning confirmed reader | ours" in line
    )
    assert "| 2.00× | – |" in post  # PostgreSQL's POST did not run
    assert "load average 3.10 / 2.00 / 1.00 before" in markdown
    assert "## Targets on SQLite" in markdown
    assert "## Targets on PostgreSQL" in markdown


def test_a_database_that_did_not_run_has_no_column():
    table = merged_table(CASES, {"sqlite": {"static": result(90000)}})

    assert "PostgreSQL" not in table
    assert "| Thread JSON as a static file (floor) | static | 90,000 |" in table


def test_the_task_workers_share_of_a_post_is_stated():
    stored = {"found": 100, "lost": 0, "duplicates": 0, "unacknowledged": 0, "wrong_ids": 0}
    post = result(
        10,
        acked=100,
        stored=stored,
        server_cpu_seconds=1.0,
        task_worker_cpu_seconds=0.4,
    )

    row = next(
        line
        for line in results_table(CASES, {"post_ours": post}).splitlines()
        if "Comment POST, a returning confirmed reader | ours" in line
    )
    merged = merged_table(CASES, {"sqlite": {"post_ours": post}})

    assert "| 10.0 ms |" in row  # CPU/req: 1 s over 100 requests, the task worker included
    assert "CPU/req includes the task worker's 4.00 ms" in row
    assert "SQLite: CPU/req includes the task worker's 4.00 ms" in merged
    assert CaseResult.from_json(post.to_json()).task_worker_cpu_seconds == 0.4
    assert "ids" not in post.to_json()


def test_a_task_worker_that_only_polled_is_not_mentioned():
    thread = result(2000, server_cpu_seconds=10.0, task_worker_cpu_seconds=0.01)

    row = results_table(CASES, {"thread_ours": thread}).splitlines()[-1]

    assert "task worker" not in row


def test_the_harness_waits_for_an_idle_task_worker_and_gives_up_on_a_busy_one():
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        assert wait_until_idle([idle.pid], interval=0.2, timeout=5) is not None
        assert wait_until_idle([busy.pid], interval=0.2, timeout=1) is None
    finally:
        for process in (idle, busy):
            process.kill()
            process.wait()


def test_the_post_target_is_judged_on_the_returning_reader_and_states_a_first_comments_cost():
    stored = {"found": 100, "lost": 0, "duplicates": 0, "unacknowledged": 0, "wrong_ids": 0}
    returning = result(60, acked=100, stored=stored, server_cpu_seconds=2.4)  # 4 ms/req
    first = result(
        30, acked=100, stored=stored, server_cpu_seconds=2.7, task_worker_cpu_seconds=0.9
    )  # 9 ms/req, 3 ms of it the task worker's
    isso_post = result(40, server_cpu_seconds=1.4)

    [post] = [
        check
        for check in check_targets(
            {"post_ours": returning, "post_ours_first": first, "post_isso": isso_post}
        )
        if check.name.startswith("Comment POST")
    ]

    assert post.met is True  # 1.5×, on the returning reader
    assert "1.50× (60.0 vs 40.0 req/s)" in post.detail
    assert (
        "a new address's first comment: 30.0 req/s, CPU per request 9.00 ms (5.00 ms more, "
        "the task worker's 3.00 ms)"
    ) in post.detail


def test_only_the_returning_reader_case_sends_a_proof():
    site = {"confirmed_reader": {"email": "reader1@bench.example", "proof": "signed"}}

    assert post_case_env("post_ours", site) == {
        "BENCH_CONFIRMED_EMAIL": "reader1@bench.example",
        "BENCH_CONFIRMATION": "signed",
    }
    assert post_case_env("post_ours_first", site) == {}
    assert post_case_env("thread_ours", site) == {}
