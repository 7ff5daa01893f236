"""
Reading wrk's results and writing the table: pure functions, tested without running
anything (tests/bench/test_harness.py).
"""

import json
from dataclasses import asdict, dataclass, field

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
    #: Measured one request at a time with the caches emptied before each (see
    #: run.measure_cold); the key is the warm case it is shown next to.
    cold_of: str | None = None


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
    #: Of that, the task worker's (mail and notices a request queued), for the site's cases.
    task_worker_cpu_seconds: float | None = None
    #: req/s of every measured run when the case was run more than once (BENCH_REPEAT).
    run_rps: list = field(default_factory=list)
    #: Comments one response carries on average (thread cases): the unit of equal work
    #: when the servers page the same thread differently.
    comments_per_response: float | None = None

    @classmethod
    def from_json(cls, data):
        """A result as ``to_json`` wrote it (bench/results/latest-<database>.json)."""
        data = dict(data)
        data["statuses"] = {int(status): count for status, count in data["statuses"].items()}
        return cls(**data)

    def to_json(self):
        """Without the ids of a POST's answers: they are checked against the database
        when the run ends (``stored``) and would make the results file thousands of lines."""
        data = asdict(self)
        del data["ids"]
        return data

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

    @property
    def comments_per_second(self):
        if not self.comments_per_response:
            return None
        return self.rps * self.comments_per_response

    @property
    def cpu_ms_per_comment(self):
        if not self.comments_per_response or self.cpu_ms_per_request is None:
            return None
        return self.cpu_ms_per_request / self.comments_per_response


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
    """ours/other in requests per second, or in comments per second when both answers
    carry comments: a server that needs two requests for the thread another sends in one
    does the same work in two."""
    if ours is None or other is None or not other.rps:
        return None
    if ours.comments_per_second and other.comments_per_second:
        return ours.comments_per_second / other.comments_per_second
    return ours.rps / other.rps


def percentile(samples, percent):
    """The nearest-rank percentile of ``samples`` (wrk's definition), 0 for none."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[int(rank) - 1]


def per_comment_note(result):
    """'100 comments a response: 0.01 ms CPU and 0.06 ms wall a comment' for thread cases."""
    if not result.comments_per_response:
        return ""
    note = f"{result.comments_per_response:g} comments a response: "
    note += f"{format_rps(result.comments_per_second)} comments/s"
    if result.cpu_ms_per_comment is not None:
        note += f", {format_cpu_fine(result.cpu_ms_per_comment)} CPU a comment"
    return note


def cold_note(result, warm):
    """'CPU/req 6.2× the warm case's, p50 4.1×' for a cold case next to its warm one."""
    if result is None or warm is None:
        return ""
    parts = []
    if result.cpu_ms_per_request and warm.cpu_ms_per_request:
        parts.append(
            f"CPU/req {format_ratio(result.cpu_ms_per_request / warm.cpu_ms_per_request)} "
            "the warm case's"
        )
    if result.p50_ms and warm.p50_ms:
        parts.append(f"p50 {format_ratio(result.p50_ms / warm.p50_ms)} the warm case's")
    return "one request at a time, caches emptied before each; " + ", ".join(parts)


def format_cpu_fine(value):
    """CPU per comment is a fraction of a request's: microseconds below a tenth of a ms."""
    if value < 0.1:
        return f"{1000 * value:.1f} µs"
    return format_ms(value)


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


def first_comment_note(returning, first):
    """What a new address's first comment costs beyond a returning reader's (the row and
    task of its confirmation link, the mail the task worker sends), when both ran. The
    POST target is judged on the returning reader, whom Isso's anonymous post resembles."""
    if first is None or not first.cpu_ms_per_request or not returning.cpu_ms_per_request:
        return ""
    extra = first.cpu_ms_per_request - returning.cpu_ms_per_request
    note = (
        f"; a new address's first comment: {format_rps(first.rps)} req/s, CPU per request "
        f"{format_ms(first.cpu_ms_per_request)} ({format_ms(abs(extra))} "
        f"{'more' if extra >= 0 else 'less'}"
    )
    if first.task_worker_cpu_seconds and first.requests:
        task_worker_ms = 1000 * first.task_worker_cpu_seconds / first.requests
        note += f", the task worker's {format_ms(task_worker_ms)}"
    return note + ")"


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


def task_worker_note(result):
    """'of which the task worker 6.10 ms' when queued work (mail) is part of CPU/req."""
    if not result.task_worker_cpu_seconds or not result.requests:
        return ""
    share = 1000 * result.task_worker_cpu_seconds / result.requests
    if share < 0.005:  # its polling, between requests that queued nothing
        return ""
    return f"CPU/req includes the task worker's {format_ms(share)}"


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
            for note in (
                cold_note(result, results.get(case.cold_of)) if case.cold_of else "",
                per_comment_note(result),
                task_worker_note(result),
                runs_note(result),
                non_2xx_note(result),
                integrity_note(result),
            )
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
        if thread.comments_per_second and isso_thread.comments_per_second:
            detail = f"{format_ratio(value)} ({format_rps(thread.comments_per_second)} vs "
            detail += f"{format_rps(isso_thread.comments_per_second)} comments/s)"
        else:
            detail = f"{format_ratio(value)} ({format_rps(thread.rps)} vs "
            detail += f"{format_rps(isso_thread.rps)} req/s)"
        if value < goal:
            detail += f"; {goal / value:.1f}× short"
        detail += cpu_note(thread, isso_thread, "Isso")
        if thread.cpu_ms_per_comment and isso_thread.cpu_ms_per_comment:
            detail += (
                f"; CPU per comment: ours {format_cpu_fine(thread.cpu_ms_per_comment)}, "
                f"Isso {format_cpu_fine(isso_thread.cpu_ms_per_comment)}"
            )
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
        detail += first_comment_note(post, results.get("post_ours_first"))
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


DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def merged_table(cases, by_database):
    """One row per case, a column group per database: ``by_database`` maps a key of
    DATABASES to that run's results (as ``results_table`` takes them)."""
    databases = [name for name in DATABASES if name in by_database]
    header = ["Case", "Server"]
    for column in ("req/s", "p50", "p99", "CPU/req", "ours/Isso"):
        header += [f"{column} {DATABASES[name]}" for name in databases]
    lines = [
        "| " + " | ".join(header) + " | Per comment, cold vs warm |",
        "| --- | --- |" + " ---: |" * (len(header) - 2) + " --- |",
    ]
    for case in cases:
        row = [by_database[name].get(case.key) for name in databases]
        if not any(row):
            continue
        cells = [case.label, case.server]
        cells += [format_rps(result.rps) if result else "–" for result in row]
        cells += [format_ms(result.p50_ms) if result else "–" for result in row]
        cells += [format_ms(result.p99_ms) if result else "–" for result in row]
        cells += [format_cpu(result.cpu_ms_per_request) if result else "–" for result in row]
        for name, result in zip(databases, row, strict=True):
            counterpart = by_database[name].get(case.isso_counterpart or "")
            cells.append(format_ratio(ratio(result, counterpart) if counterpart else None))
        notes = []
        for name, result in zip(databases, row, strict=True):
            note = "; ".join(
                note
                for note in (
                    cold_note(result, by_database[name].get(case.cold_of)) if case.cold_of else "",
                    per_comment_note(result) if result else "",
                    task_worker_note(result) if result else "",
                )
                if note
            )
            if note:
                notes.append(f"{DATABASES[name]}: {note}")
        lines.append("| " + " | ".join(cells + [" · ".join(notes) or "–"]) + " |")
    return "\n".join(lines)
