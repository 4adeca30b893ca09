"""Reading what the web app handed to the workers: the Celery messages waiting in Redis."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis

from multivac.queueing import QUEUE


@contextmanager
def empty_broker(url: str) -> Iterator[redis.Redis]:
    """A client of the Redis database at `url`, emptied before and after use. Give every test
    module its own database number so that modules never see each other's messages."""
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


def enqueued(broker: redis.Redis) -> list[tuple[str, list[Any]]]:
    """(task name, args) of every message waiting in the workers' queue, oldest first."""
    messages = [json.loads(raw) for raw in reversed(broker.lrange(QUEUE, 0, -1))]
    return [
        (message["headers"]["task"], json.loads(base64.b64decode(message["body"]))[0])
        for message in messages
    ]
