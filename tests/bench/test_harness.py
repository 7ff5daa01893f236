"""
The benchmark harness's pure parts: the thread it loads, reading wrk's results and the
table and targets it writes. Nothing here starts a server or measures time.
"""

import json

import pytest

from bench import settings
from bench.content import thread_comments
from bench.report import (
    CaseResult,
    check_targets,
    integrity_note,
    non_2xx_note,
    parse_wrk_result,
    results_table,
    runs_note,
)
from bench.run import CASES, combine_runs, nginx_config

WRK_GET = {
    "requests": 3000,
    "duration_us": 15_000_000,
    "bytes": 3000 * 2048,
    "errors": {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 2},
    "latency_us": {"p50": 4_200, "p90": 9_000, "p99": 31_500, "max": 80_000, "mean": 5100.5},
}


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


def test_thread_has_the_requested_size_and_replies_follow_their_parents():
    specs = thread_comments(100, 20)

    assert len(specs) == 100
    replies = [index for index, spec in enumerate(specs) if spec.parent is not None]
    assert len(replies) == 20
    for index in replies:
        parent = specs[index].parent
        assert parent < index and specs[parent].parent is None
    assert len({spec.text for spec in specs}) == 100
    assert len({spec.email for spec in specs}) == 100


def test_a_thread_of_only_replies_is_refused():
    with pytest.raises(ValueError, match="top-level"):
        thread_comments(5, 5)


def test_wrk_result_of_a_get():
    parsed = parse_wrk_result(json.dumps(WRK_GET))

    assert parsed.rps == pytest.approx(200)
    assert parsed.p50_ms == pytest.approx(4.2)
    assert parsed.p99_ms == pytest.approx(31.5)
    assert parsed.bytes_per_response == 2048
    assert parsed.acked is None
    assert non_2xx_note(parsed) == "2 timeout errors"
    assert integrity_note(parsed) == ""


def test_wrk_result_of_a_post_counts_statuses_and_ids():
    data = {**WRK_GET, "acked": 3, "statuses": {"201": 3, "409": 1}, "ids": [7, 8, 9]}
    parsed = parse_wrk_result(json.dumps(data))
    parsed.stored = {"found": 3, "lost": 0, "duplicates": 0, "unacknowledged": 1, "wrong_ids": 0}

    assert parsed.statuses == {201: 3, 409: 1}
    assert parsed.ids == [7, 8, 9]
    assert non_2xx_note(parsed) == "1 × 409, 2 timeout errors"
    assert integrity_note(parsed) == "3 acked, 3 stored, 0 lost, 1 stored without a 2xx"


def test_table_has_a_row_per_case_run_with_ratios():
    results = {
        "thread_ours": result(2000, server_cpu_seconds=20.0),
        "thread_isso": result(20),
        "static": result(20000),
    }

    table = results_table(CASES, results).splitlines()

    assert len(table) == 2 + 3
    ours = next(line for line in table if "Comment thread GET, the whole thread | ours" in line)
    assert "| 2,000 |" in ours
    assert "| 100× |" in ours  # ours/Isso
    assert "| 0.10× |" in ours  # ours/static
    assert "| 1.00 ms |" in ours  # server CPU per request: 20 s over 20,000 requests


def test_targets_met_and_missed_say_by_how_much():
    stored = {"found": 3000, "lost": 0, "duplicates": 0, "unacknowledged": 0, "wrong_ids": 0}
    results = {
        "thread_ours": result(500, server_cpu_seconds=5.0),
        "thread_isso": result(20, server_cpu_seconds=8.0),
        "post_ours": result(900, acked=9000, stored=stored),
        "post_isso": result(450),
        "page": result(3000),
        "v2_detail": result(1000),
        "static": result(20000),
    }

    checks = {check.name: check for check in check_targets(results)}

    thread = checks[f"Thread GET at least {settings.TARGET_THREAD_GET_VS_ISSO}× Isso"]
    assert thread.met is False
    assert "2.0× short" in thread.detail
    assert "CPU per request: ours 1.00 ms, Isso 40.0 ms (40× less)" in thread.detail
    assert checks[f"Comment POST at least {settings.TARGET_POST_VS_ISSO}× Isso, nothing lost"].met
    assert checks[f"Post page within {settings.TARGET_CACHED_VS_STATIC}× of the static floor"].met
    detail = checks[
        f"API v2 post detail within {settings.TARGET_CACHED_VS_STATIC}× of the static floor"
    ]
    assert detail.met is False
    assert "20.0× slower" in detail.detail


def test_a_lost_comment_misses_the_post_target():
    stored = {"found": 99, "lost": 1, "duplicates": 0, "unacknowledged": 0, "wrong_ids": 0}
    results = {"post_ours": result(900, acked=100, stored=stored), "post_isso": result(450)}

    post = next(check for check in check_targets(results) if "POST" in check.name)

    assert post.met is False
    assert "1 lost" in post.detail


def test_targets_that_did_not_run_are_reported_as_such():
    assert {check.met for check in check_targets({})} == {None}


def test_nginx_runs_in_the_foreground_with_its_own_paths(tmp_path):
    config = nginx_config(tmp_path, 4321, tmp_path / "root")

    assert "daemon off;" in config
    assert f"pid {tmp_path}/nginx.pid;" in config
    assert "listen 127.0.0.1:4321;" in config


def test_repeated_runs_report_the_median_and_sum_integrity():
    stored = {"found": 10, "lost": 0, "duplicates": 0, "unacknowledged": 1, "wrong_ids": 0}
    lossy = {**stored, "found": 9, "lost": 1}
    runs = [
        result(300, acked=10, stored=stored),
        result(100, acked=10, stored=lossy),
        result(200, acked=10, stored=stored),
    ]

    combined = combine_runs(runs)

    assert combined.rps == pytest.approx(200)
    assert runs_note(combined) == "median of 3 runs: 100–300 req/s"
    assert combined.acked == 30
    assert combined.stored["lost"] == 1
    assert "30 acked, 29 stored, 1 lost" in integrity_note(combined)


def test_cached_targets_are_judged_through_the_nginx_front_when_it_ran():
    results = {
        "page": result(1000),
        "page_edge": result(9000),
        "v2_detail": result(1000),
        "static": result(20000),
    }

    checks = {check.name: check for check in check_targets(results)}

    page = checks[f"Post page within {settings.TARGET_CACHED_VS_STATIC}× of the static floor"]
    assert page.met is True
    assert "2.2× slower than nginx (through the nginx front)" in page.detail
    detail = checks[
        f"API v2 post detail within {settings.TARGET_CACHED_VS_STATIC}× of the static floor"
    ]
    assert detail.met is False
    assert "through the nginx front" not in detail.detail
