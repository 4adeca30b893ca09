"""Reading an inbound request's raw body under a size limit, before anything parses it."""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge


def read_body(limit: int) -> bytes | None:
    """The raw body, or None when it is over `limit` bytes: by Content-Length, or while reading a
    chunked body without one. The body is cached, so `request.form` and `request.get_json()` parse
    these same bytes afterwards (signatures are computed over exactly what was read)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    # A capped read stops quietly at the cap, so read one byte more than allowed: a body that
    # fills the cap is over the limit, and one of exactly `limit` bytes is not.
    request.max_content_length = limit + 1
    try:
        body = request.get_data(cache=True)
    except RequestEntityTooLarge:
        return None
    return body if len(body) <= limit else None
