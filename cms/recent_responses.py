"""
A worker's own memory of the responses it served most recently, by content-addressed key.

The shared cache (Redis) holds every cached page and API answer, but fetching a 20–90 KiB
answer from it on every request costs a round trip and the copy. Keys here are the same
keys the shared cache uses, which already include the current content versions (see
``cms.api_cache``): a key names one exact content, so an entry can never be stale, only
unused, and it is evicted by size, least recently used first.
"""

import threading
from collections import OrderedDict


class RecentResponses:
    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self._entries = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def set(self, key, content, content_type):
        size = len(content)
        if size > self.max_bytes:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous[0])
            self._entries[key] = (content, content_type)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (evicted, _) = self._entries.popitem(last=False)
                self._bytes -= len(evicted)

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._bytes = 0
