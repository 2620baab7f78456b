"""A Redis cache that degrades to "no cache" while Redis is unreachable.

The cache holds only derived, disposable data: DRF throttle histories, log-in
failure counters and short-lived vote counts. The database is the source of
truth, so when Redis is down a participant's vote must still be stored rather
than fail on a throttle lookup. Reads then miss and writes are dropped (rate
limits fail open for the outage, which is logged).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)


def _warn(operation: str, exc: Exception) -> None:
    logger.warning("cache %s skipped, Redis unreachable: %s", operation, exc)


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client, keeping one redis.Redis per connection pool.

    Django builds a new redis.Redis (which copies ~170 response callbacks)
    for every cache call; in the vote benchmark's profile that was a tenth
    of a millisecond per request. A redis.Redis over a pool is thread-safe.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(
                id(pool),
                self._client(connection_pool=pool),  # type: ignore[attr-defined]
            )
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except redis.RedisError as exc:
            _warn("get", exc)
            return default

    def get_many(self, keys: Iterable[Any], version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except redis.RedisError as exc:
            _warn("get_many", exc)
            return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except redis.RedisError as exc:
            _warn("has_key", exc)
            return False

    def set(self, key: Any, value: Any, timeout: Any = ..., version: int | None = None) -> None:
        try:
            if timeout is ...:
                super().set(key, value, version=version)
            else:
                super().set(key, value, timeout, version)
        except redis.RedisError as exc:
            _warn("set", exc)

    def add(self, key: Any, value: Any, timeout: Any = ..., version: int | None = None) -> bool:
        try:
            if timeout is ...:
                return super().add(key, value, version=version)
            return super().add(key, value, timeout, version)
        except redis.RedisError as exc:
            _warn("add", exc)
            return False

    def set_many(
        self, data: dict[Any, Any], timeout: Any = ..., version: int | None = None
    ) -> list[Any]:
        try:
            if timeout is ...:
                return super().set_many(data, version=version)
            return super().set_many(data, timeout, version)
        except redis.RedisError as exc:
            _warn("set_many", exc)
            return list(data)

    def touch(self, key: Any, timeout: Any = ..., version: int | None = None) -> bool:
        try:
            if timeout is ...:
                return super().touch(key, version=version)
            return super().touch(key, timeout, version)
        except redis.RedisError as exc:
            _warn("touch", exc)
            return False

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except redis.RedisError as exc:
            _warn("incr", exc)
            return delta

    def incr_in_window(self, key: Any, timeout: int, version: int | None = None) -> int:
        """Count one more in a counter that expires `timeout` s after its first count.

        INCR creates the key at 1, so the common case is one round trip
        (Django's `incr` is EXISTS + INCR, and a missing key needs `add`).
        EXPIRE follows only on the first count of a window.
        """
        key = self.make_and_validate_key(key, version=version)
        try:
            client = self._cache.get_client(key, write=True)  # type: ignore[attr-defined]
            count = int(client.incr(key))
            if count == 1:
                client.expire(key, timeout)
            return count
        except redis.RedisError as exc:
            _warn("incr", exc)
            return 1

    def incr_many_in_window(
        self, keys: list[Any], timeout: int, version: int | None = None
    ) -> list[int]:
        """`incr_in_window` for several counters, in one round trip (a pipeline).

        The EXPIREs for counters that this call started follow in a second
        pipeline, once per counter and window.
        """
        made = [self.make_and_validate_key(key, version=version) for key in keys]
        if not made:
            return []
        try:
            client = self._cache.get_client(made[0], write=True)  # type: ignore[attr-defined]
            with client.pipeline(transaction=False) as pipe:
                for key in made:
                    pipe.incr(key)
                counts = [int(count) for count in pipe.execute()]
            started = [key for key, count in zip(made, counts, strict=True) if count == 1]
            if started:
                with client.pipeline(transaction=False) as pipe:
                    for key in started:
                        pipe.expire(key, timeout)
                    pipe.execute()
            return counts
        except redis.RedisError as exc:
            _warn("incr", exc)
            return [1] * len(made)

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except redis.RedisError as exc:
            _warn("delete", exc)
            return False

    def delete_many(self, keys: Iterable[Any], version: int | None = None) -> None:
        try:
            super().delete_many(keys, version)
        except redis.RedisError as exc:
            _warn("delete_many", exc)

    def clear(self) -> None:
        try:
            super().clear()
        except redis.RedisError as exc:
            _warn("clear", exc)
