"""Celery's Redis transport with one publishing client per connection pool, instead of one per
operation.

kombu builds a new `redis.Redis` for every publish, acknowledgement and queue operation. With
redis-py 8 that costs about a millisecond of CPU each time (the client copies its ~300 response
callbacks), paid a dozen times per war room, in the very moments its steps hand over to each
other. A `redis.Redis` is safe to share between threads: every command borrows a connection
from the pool. Messages, queues and acknowledgements are exactly kombu's.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis

# The broker URL schemes this transport serves (kombu's own Redis transport serves both).
SCHEMES = ("redis", "rediss")
TRANSPORT = "multivac.broker:RedisTransport"


class SharedClientChannel(kombu_redis.Channel):
    _shared: tuple[Any, Any] | None = None  # (pool, client built on it)

    def _create_client(self, asynchronous: bool = False) -> Any:
        if asynchronous:  # the consumer's own client: kombu keeps that one already
            return super()._create_client(asynchronous=True)  # type: ignore[no-untyped-call]
        pool, shared = self.pool, self._shared
        if shared is None or shared[0] is not pool:  # first use, or kombu replaced its pool
            shared = (pool, super()._create_client())  # type: ignore[no-untyped-call]
            self._shared = shared
        return shared[1]


class RedisTransport(kombu_redis.Transport):
    Channel = SharedClientChannel
