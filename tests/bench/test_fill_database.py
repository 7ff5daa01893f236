"""The million-comment generator's pure parts (bench/fill_database.py) and the at-scale
report's percentiles. The generator itself writes a database of its own and is run by
`make bench-data`, not by the tests."""

import random

from bench.at_scale import percentile
from bench.fill_database import comment_counts, server_url


def test_comments_are_shared_out_exactly_with_the_big_thread_the_largest():
    post_ids = list(range(1, 1001))
    counts = comment_counts(post_ids, 7, total=100_000, big_thread=5_000, rng=random.Random(16))

    assert sum(counts.values()) == 100_000
    assert set(counts) == set(post_ids)
    assert counts[7] == 5_000
    assert max(count for post_id, count in counts.items() if post_id != 7) < 5_000
    # A long tail, not the same number everywhere.
    assert len(set(counts.values())) > 50


def test_the_database_is_named_on_the_server_of_database_url(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://bench@db.example:6543/site")
    assert server_url("bench_million") == "postgresql://bench@db.example:6543/bench_million"
    monkeypatch.delenv("DATABASE_URL")
    assert server_url("bench_million") == "postgresql://postgres@127.0.0.1:5432/bench_million"


def test_p99_of_few_samples_is_the_slowest_and_p50_the_middle():
    samples = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert percentile(samples, 0.99) == 5.0
    assert percentile(samples, 0.5) == 3.0
