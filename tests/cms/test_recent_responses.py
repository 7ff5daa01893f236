"""A worker's memory of recent responses: bounded by bytes, least recently used out first."""

from cms.recent_responses import RecentResponses


def test_it_keeps_what_fits_and_drops_the_least_recently_used():
    memory = RecentResponses(max_bytes=10)
    memory.set("a", b"aaaa", "text/html")
    memory.set("b", b"bbbb", "text/html")
    assert memory.get("a") == (b"aaaa", "text/html")  # "a" is now the most recent

    memory.set("c", b"cccc", "application/json")

    assert memory.get("b") is None
    assert memory.get("a") == (b"aaaa", "text/html")
    assert memory.get("c") == (b"cccc", "application/json")


def test_a_response_larger_than_the_whole_memory_is_not_kept():
    memory = RecentResponses(max_bytes=10)
    memory.set("a", b"aaaa", "text/html")

    memory.set("huge", b"x" * 11, "text/html")

    assert memory.get("huge") is None
    assert memory.get("a") == (b"aaaa", "text/html")


def test_replacing_a_key_counts_its_size_once():
    memory = RecentResponses(max_bytes=10)
    for _ in range(5):
        memory.set("a", b"aaaa", "text/html")
    memory.set("b", b"bbbb", "text/html")

    assert memory.get("a") is not None and memory.get("b") is not None
