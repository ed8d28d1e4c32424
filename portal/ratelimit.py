"""Rate limits per client address: declared on views, checked in one place, counted by `limits`.

A view declares ``@ratelimit.limit(setting)`` (a Flask-Limiter-style string such as ``60/minute``,
or a callable returning one); one ``before_request`` check counts the request against every limit
of its endpoint with the ``limits`` library's fixed-window strategy and answers 429 with
Retry-After when one is exhausted. Counters live in Redis when configured (shared by every
process and machine), else in this process's memory; while Redis fails they are kept in memory
and retried after a pause, so an outage never takes login or search down.

Why not Flask-Limiter (which the portal used first): its generic per-request machinery (default,
application, blueprint and exemption scopes, evaluated twice a request) cost 0.17 ms of a 0.49 ms
cached search answer, measured in bench/compare.py; the portal only ever needs per-view limits.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from flask import Flask, Response, current_app, request
from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

F = TypeVar("F", bound=Callable[..., object])
Setting = str | Callable[[], str]
Declared = tuple[tuple[Setting, frozenset[str] | None], ...]  # a view's limits: (setting, methods or None for all)
LIMITS_ATTRIBUTE = "_rate_limits"  # set on each view function by limit(), read by check()

REDIS_PAUSE = 30.0  # seconds of counting in memory after Redis failed, before trying it again


def limit(setting: Setting, *, methods: list[str] | None = None) -> Callable[[F], F]:
    """Limit this view per client address: ``setting`` is a limit string or a callable giving one
    (read per request, so it follows the app's config); ``methods`` restricts it to those methods."""
    only = frozenset(m.upper() for m in methods) if methods else None

    def decorate(view: F) -> F:
        declared: Declared = (*getattr(view, LIMITS_ATTRIBUTE, ()), (setting, only))
        setattr(view, LIMITS_ATTRIBUTE, declared)
        return view

    return decorate


@lru_cache(maxsize=64)
def _items(text: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(text))


class Counter:
    """The limiter of one app: Redis (or memory) storage with an in-memory fallback."""

    def __init__(self, uri: str, prefix: str) -> None:
        self.prefix = prefix
        self.memory = FixedWindowRateLimiter(storage_from_string("memory://"))
        self.shared = (
            None
            if uri.startswith("memory://")
            else FixedWindowRateLimiter(
                storage_from_string(uri, wrap_exceptions=True, socket_timeout=0.2, socket_connect_timeout=0.2)
            )
        )
        self.paused_until = 0.0

    def _limiter(self) -> FixedWindowRateLimiter:
        if self.shared is not None and time.monotonic() >= self.paused_until:
            return self.shared
        return self.memory

    def hit(self, item: RateLimitItem, *identifiers: str) -> tuple[bool, float]:
        """Count one request; return whether it is allowed and, if not, when the window resets."""
        limiter = self._limiter()
        try:
            allowed = limiter.hit(item, self.prefix, *identifiers)
            reset = 0.0 if allowed else limiter.get_window_stats(item, self.prefix, *identifiers).reset_time
        except StorageError:
            current_app.logger.warning("rate limit storage failed; counting in memory for %ss", REDIS_PAUSE)
            self.paused_until = time.monotonic() + REDIS_PAUSE
            return self.hit(item, *identifiers)
        return allowed, reset


def check() -> None:
    """Refuse the request with 429 when its address has used up a limit of the endpoint."""
    if request.endpoint is None or not current_app.config["RATELIMIT_ENABLED"]:
        return
    view = current_app.view_functions.get(request.endpoint)
    declared: Declared | None = getattr(view, LIMITS_ATTRIBUTE, None)
    if not declared:
        return
    counter: Counter = current_app.extensions["mingjing_ratelimit"]
    address = request.remote_addr or "unknown"
    for setting, methods in declared:
        if methods is not None and request.method not in methods:
            continue
        for item in _items(setting() if callable(setting) else setting):
            allowed, reset = counter.hit(item, request.endpoint, address)
            if not allowed:
                retry_after = max(1, math.ceil(reset - time.time()))
                raise TooManyRequests(response=Response(status=429, headers={"Retry-After": str(retry_after)}))


def init_app(app: Flask) -> None:
    """Give ``app`` its counter and check every request against its view's limits."""
    app.extensions["mingjing_ratelimit"] = Counter(
        app.config["RATELIMIT_STORAGE_URI"], app.config["RATELIMIT_KEY_PREFIX"]
    )
    app.before_request(check)
