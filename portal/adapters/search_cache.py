"""A cache of public search answers that can never show what has left the list.

An answer is kept with the list's change counter (``defaulters.version``: bumped in the
transaction of every listing, removal, expiry and import) and a deadline (the next moment the list
changes by the clock alone: a publication after its grace period, the end of a term). It is served
only while both still hold, so a removed entry is gone from the next answer, on every process.

Answers live in Redis when REDIS_URL is set (shared by every process and machine), else in this
process's memory — where a cold entry only costs a search, never a wrong answer.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from datetime import datetime, timedelta

import redis
from flask import Flask, current_app

MAX_ENTRIES = 2_000  # in-process store; Redis expires entries itself
MAX_BODY = 64 * 1024  # a larger answer is not kept (the store stays within ~130 MB per process)
REDIS_PAUSE = 30.0  # seconds without Redis after it failed: a hung server must not slow every search


class MemoryStore:
    """A bounded least-recently-used store, safe across threads."""

    def __init__(self, size: int = MAX_ENTRIES) -> None:
        self.size, self.items, self.lock = size, OrderedDict[str, bytes](), threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes, seconds: int) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


class RedisStore:
    """Shared by every process; an outage makes searches misses for a while, nothing worse."""

    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=0.2, socket_connect_timeout=0.2)
        self.prefix, self.paused_until = prefix, 0.0

    def _failed(self) -> None:
        self.paused_until = time.monotonic() + REDIS_PAUSE

    def get(self, key: str) -> bytes | None:
        if time.monotonic() < self.paused_until:
            return None
        try:
            value = self.client.get(self.prefix + key)
        except redis.RedisError:
            self._failed()
            return None
        assert value is None or isinstance(value, bytes)  # a synchronous client without decode_responses
        return value

    def set(self, key: str, value: bytes, seconds: int) -> None:
        if time.monotonic() < self.paused_until:
            return
        try:
            self.client.set(self.prefix + key, value, ex=max(1, seconds))
        except redis.RedisError:
            self._failed()


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    # Keys name the database too: two portals (staging, production) may share one Redis.
    database = hashlib.sha256(str(app.config["SQLALCHEMY_DATABASE_URI"]).encode()).hexdigest()[:12]
    app.extensions["mingjing_search_cache"] = RedisStore(url, f"mingjing:search:{database}:") if url else MemoryStore()


def _store() -> MemoryStore | RedisStore:
    store: MemoryStore | RedisStore = current_app.extensions["mingjing_search_cache"]
    return store


def lookup(key: str, *, version: int, now: datetime) -> bytes | None:
    """The cached answer for ``key`` if it was made at this list version and is not past its deadline."""
    if current_app.config["MINGJING_SEARCH_CACHE_SECONDS"] <= 0:
        return None
    raw = _store().get(key)
    if raw is None:
        return None
    header, _sep, body = raw.partition(b"\n")
    made_at_version, until = json.loads(header)
    if made_at_version != version or now.timestamp() >= until:
        return None
    return body


def keep(key: str, body: bytes, *, version: int, now: datetime, next_change: datetime | None) -> None:
    """Keep an answer made at ``version``, until the configured time or the list's next clock change."""
    seconds = current_app.config["MINGJING_SEARCH_CACHE_SECONDS"]
    if seconds <= 0 or len(body) > MAX_BODY:
        return
    until = now + timedelta(seconds=seconds)
    if next_change is not None:
        until = min(until, next_change)
    if until <= now:
        return
    header = json.dumps([version, until.timestamp()]).encode()
    _store().set(key, header + b"\n" + body, int((until - now).total_seconds()) + 1)
