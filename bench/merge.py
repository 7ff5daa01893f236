"""
Puts the SQLite and the PostgreSQL run of `make bench` side by side.

``make bench`` writes bench/results/latest-sqlite.json (and .md), and with DATABASE_URL
set latest-postgresql.json; this reads whichever exist and writes bench/results/latest.md
with one table holding both, the table docs/benchmarks.md shows.
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import (  # noqa: E402
    DATABASES,
    CaseResult,
    check_targets,
    merged_table,
    targets_table,
)
from bench.run import CASES  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def load_runs(directory):
    """{database: (context, {case key: CaseResult})} for each latest-<database>.json."""
    runs = {}
    for name in DATABASES:
        path = directory / f"latest-{name}.json"
        if path.exists():
            data = json.loads(path.read_text())
            results = {key: CaseResult.from_json(value) for key, value in data["results"].items()}
            runs[name] = (data["context"], results)
    return runs


def merged_markdown(runs, note=""):
    lines = [
        "# Benchmark results, SQLite and PostgreSQL",
        "",
        *([note, ""] if note else []),
        "Merged by bench/merge.py from the runs below; each run's own table, targets and "
        "setup are in latest-<database>.md. How to read this: "
        "[docs/benchmarks.md](../../docs/benchmarks.md).",
        "",
        merged_table(CASES, {name: results for name, (_, results) in runs.items()}),
        "",
    ]
    for name, (_, results) in runs.items():
        lines += [f"## Targets on {DATABASES[name]}", "", targets_table(check_targets(results)), ""]
    lines += ["## The runs", ""]
    for name, (context, _) in runs.items():
        load = context["machine"].get("Load average (1, 5, 15 min)", "?")
        lines.append(
            f"- {DATABASES[name]}: {context['date']}, "
            f"{context['setup'].get('Database', '?')}; load average {load}"
        )
    lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="the results directory")
    parser.add_argument(
        "--note", default="", help="a paragraph under the title (e.g. how loaded the machine was)"
    )
    args = parser.parse_args()
    runs = load_runs(args.results)
    if not runs:
        sys.exit(
            f"No latest-sqlite.json or latest-postgresql.json in {args.results}: run make bench."
        )
    output = args.results / "latest.md"
    output.write_text(merged_markdown(runs, args.note))
    print(f"Written to {output} ({', '.join(DATABASES[name] for name in runs)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
