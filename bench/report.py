"""
Reading wrk's results and writing the table: pure functions, tested without running
anything (tests/bench/test_harness.py).
"""

import json
from dataclasses import dataclass, field

from . import settings


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    server: str  # "ours", "isso" or "static"
    method: str = "GET"
    #: The case this one is compared with, as ours/Isso (comment cases only).
    isso_counterpart: str | None = None
    #: Compared with the nginx floor.
    vs_static: bool = False


@dataclass
class CaseResult:
    requests: int
    seconds: float
    bytes: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: dict
    acked: int | None = None
    statuses: dict = field(default_factory=dict)
    ids: list = field(default_factory=list)
    #: Set by the harness after a POST run: what the database holds for this run.
    stored: dict | None = None
    #: CPU seconds the server's processes used during the measured run (from /proc).
    server_cpu_seconds: float | None = None
    #: req/s of every measured run when the case was run more than once (BENCH_REPEAT).
    run_rps: list = field(default_factory=list)

    @property
    def rps(self):
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def bytes_per_response(self):
        return self.bytes / self.requests if self.requests else 0

    @property
    def cpu_ms_per_request(self):
        if self.server_cpu_seconds is None or not self.requests:
            return None
        return 1000 * self.server_cpu_seconds / self.requests


def parse_wrk_result(text):
    """The JSON that bench/lua/stats.lua's done() writes."""
    data = json.loads(text)
    latency = data["latency_us"]
    return CaseResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1_000_000,
        bytes=data["bytes"],
        p50_ms=latency["p50"] / 1000,
        p90_ms=latency["p90"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        errors=data["errors"],
        acked=data.get("acked"),
        statuses={int(status): count for status, count in data.get("statuses", {}).items()},
        ids=data.get("ids", []),
    )


def format_rps(value):
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def format_ms(value):
    if value >= 100:
        return f"{value:,.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def format_cpu(value):
    return "–" if value is None else format_ms(value)


def format_ratio(value):
    if value is None:
        return "–"
    if value >= 10:
        return f"{value:,.0f}×"
    if value >= 0.1:
        return f"{value:.2f}×"
    return f"{value:.3f}×"


def format_bytes(value):
    return f"{value / 1024:,.1f} KiB" if value >= 1024 else f"{value:.0f} B"


def ratio(ours, other):
    if ours is None or other is None or not other.rps:
        return None
    return ours.rps / other.rps


def cpu_note(ours, other, other_name):
    """'; per request ours uses 0.8 ms of CPU, Isso 45 ms (56× less)' when both were measured."""
    if ours is None or other is None or not ours.cpu_ms_per_request:
        return ""
    if other.cpu_ms_per_request is None:
        return ""
    factor = other.cpu_ms_per_request / ours.cpu_ms_per_request
    comparison = (
        f"{format_ratio(factor)} less" if factor >= 1 else f"{format_ratio(1 / factor)} more"
    )
    return (
        f"; CPU per request: ours {format_ms(ours.cpu_ms_per_request)}, {other_name} "
        f"{format_ms(other.cpu_ms_per_request)} ({comparison})"
    )


def integrity_note(result):
    """'n acked, n stored, 0 lost' for a POST run; '' for a GET."""
    if result.acked is None:
        return ""
    stored = result.stored or {}
    parts = [f"{result.acked:,} acked", f"{stored.get('found', 0):,} stored"]
    parts.append(f"{stored.get('lost', 0):,} lost")
    if stored.get("duplicates"):
        parts.append(f"{stored['duplicates']:,} duplicated")
    if stored.get("unacknowledged"):
        parts.append(f"{stored['unacknowledged']:,} stored without a 2xx")
    if stored.get("wrong_ids"):
        parts.append(f"{stored['wrong_ids']:,} answers named another request's comment")
    return ", ".join(parts)


def runs_note(result):
    """'median of 3 runs: 131–282 req/s' when the case was measured more than once."""
    if len(result.run_rps) < 2:
        return ""
    low, high = min(result.run_rps), max(result.run_rps)
    return f"median of {len(result.run_rps)} runs: {format_rps(low)}–{format_rps(high)} req/s"


def non_2xx_note(result):
    """Errors and non-2xx answers, e.g. '12 × 409, 3 timeouts'."""
    notes = [
        f"{count:,} × {status}"
        for status, count in sorted(result.statuses.items())
        if not 200 <= status < 300
    ]
    if not result.statuses and result.errors.get("status"):
        notes.append(f"{result.errors['status']:,} non-2xx/3xx")
    for kind in ("connect", "read", "write", "timeout"):
        if result.errors.get(kind):
            notes.append(f"{result.errors[kind]:,} {kind} errors")
    return ", ".join(notes)


def results_table(cases, results):
    """A Markdown table: one row per case that ran, with its ratios."""
    static = next((results.get(case.key) for case in cases if case.server == "static"), None)
    lines = [
        "| Case | Server | req/s | p50 | p99 | CPU/req | Size | ours/Isso | ours/static "
        "| Errors, integrity |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for case in cases:
        result = results.get(case.key)
        if result is None:
            continue
        vs_isso = (
            ratio(result, results.get(case.isso_counterpart)) if case.isso_counterpart else None
        )
        vs_static = ratio(result, static) if case.vs_static else None
        notes = "; ".join(
            note
            for note in (runs_note(result), non_2xx_note(result), integrity_note(result))
            if note
        )
        lines.append(
            f"| {case.label} | {case.server} | {format_rps(result.rps)} | "
            f"{format_ms(result.p50_ms)} | {format_ms(result.p99_ms)} | "
            f"{format_cpu(result.cpu_ms_per_request)} | "
            f"{format_bytes(result.bytes_per_response)} | {format_ratio(vs_isso)} | "
            f"{format_ratio(vs_static)} | {notes or 'none'} |"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class TargetCheck:
    name: str
    met: bool | None  # None: a case it needs did not run
    detail: str


def check_targets(results):
    """Issue 6's targets, from the results keyed by case key."""
    checks = []
    thread, isso_thread = results.get("thread_ours"), results.get("thread_isso")
    goal = settings.TARGET_THREAD_GET_VS_ISSO
    if thread and isso_thread and isso_thread.rps:
        value = ratio(thread, isso_thread)
        detail = f"{format_ratio(value)} ({format_rps(thread.rps)} vs "
        detail += f"{format_rps(isso_thread.rps)} req/s)"
        if value < goal:
            detail += f"; {goal / value:.1f}× short"
        detail += cpu_note(thread, isso_thread, "Isso")
        checks.append(TargetCheck(f"Thread GET at least {goal}× Isso", value >= goal, detail))
    else:
        checks.append(TargetCheck(f"Thread GET at least {goal}× Isso", None, "not run"))

    post, isso_post = results.get("post_ours"), results.get("post_isso")
    goal = settings.TARGET_POST_VS_ISSO
    if post and isso_post and isso_post.rps and post.rps:
        value = ratio(post, isso_post)
        lost = (post.stored or {}).get("lost", 0) + (post.stored or {}).get("duplicates", 0)
        met = value >= goal and lost == 0 and post.stored is not None
        detail = (
            f"{format_ratio(value)} ({format_rps(post.rps)} vs {format_rps(isso_post.rps)} req/s); "
        )
        detail += integrity_note(post)
        if value < goal:
            detail += f"; {goal / value:.2f}× short"
        detail += cpu_note(post, isso_post, "Isso")
        checks.append(TargetCheck(f"Comment POST at least {goal}× Isso, nothing lost", met, detail))
    else:
        checks.append(TargetCheck(f"Comment POST at least {goal}× Isso", None, "not run"))

    static = results.get("static")
    goal = settings.TARGET_CACHED_VS_STATIC
    for key, label in (("page", "Post page"), ("v2_detail", "API v2 post detail")):
        # "Served from cache": production serves them through deploy/nginx.conf's cache;
        # Django's own answer (the case without _edge) is what that cache revalidates with.
        result = results.get(f"{key}_edge") or results.get(key)
        through = " (through the nginx front)" if results.get(f"{key}_edge") else ""
        name = f"{label} within {goal}× of the static floor"
        if result and static and result.rps:
            slower = static.rps / result.rps
            detail = f"{slower:,.1f}× slower than nginx{through} ({format_rps(result.rps)} vs "
            detail += f"{format_rps(static.rps)} req/s)"
            if slower > goal:
                detail += f"; needs {slower / goal:.1f}× more throughput"
            if result.cpu_ms_per_request and static.cpu_ms_per_request:
                detail += (
                    f"; CPU per request {format_ms(result.cpu_ms_per_request)} vs "
                    f"{format_ms(static.cpu_ms_per_request)}"
                )
            checks.append(TargetCheck(name, slower <= goal, detail))
        else:
            checks.append(TargetCheck(name, None, "not run"))
    return checks


def targets_table(checks):
    lines = ["| Target | Met | Measured |", "| --- | --- | --- |"]
    for check in checks:
        met = {True: "yes", False: "**no**", None: "not run"}[check.met]
        lines.append(f"| {check.name} | {met} | {check.detail} |")
    return "\n".join(lines)
