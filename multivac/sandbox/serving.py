"""The sandbox's HTTP server: werkzeug's threaded server, noting when each request arrived.

A real service's latency runs from the moment a request reaches it, its reading and parsing of
the request included. Here that work competes for the CPU with Multivac itself, so a burst of
calls would queue in the emulator and each take its latency on top. The server notes a request's
arrival as soon as its request line has been read, before its headers are parsed, and hands it
to the app in the WSGI environ under `ARRIVED`.
"""

from __future__ import annotations

import time
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler
from werkzeug.serving import make_server as make_werkzeug_server

ARRIVED = "sandbox.arrived"  # time.monotonic() when the request reached the server


class _ArrivalNotingHandler(WSGIRequestHandler):
    _arrived: float | None = None

    def parse_request(self) -> bool:
        self._arrived = time.monotonic()  # the request line is in; its headers are not parsed
        return super().parse_request()

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        environ[ARRIVED] = self._arrived
        return environ


def make_server(host: str, port: int, app: Any) -> BaseWSGIServer:
    """A threaded server for `app` on `host`:`port` (0 picks a free port), not yet serving."""
    return make_werkzeug_server(
        host, port, app, threaded=True, request_handler=_ArrivalNotingHandler
    )
