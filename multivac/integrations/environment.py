"""What `requests` reads from the environment, read once per client instead of on every call.

A `requests.Session` that trusts the environment looks up proxies (HTTPS_PROXY, NO_PROXY...) and
a CA bundle (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) for each request, scanning every environment
variable each time: a few milliseconds of CPU per call, paid on the war room's critical path.
Each adapter's session talks to one host, so the answer never changes: it is resolved once,
when the client is built, and the session stops looking. Operators' proxy and CA settings keep
working exactly as before.
"""

from __future__ import annotations

import os

import requests


def pin_environment(session: requests.Session, url: str) -> None:
    """Fix `session`'s proxies and CA bundle to what the environment says for `url` now."""
    session.proxies.update(requests.utils.get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    session.trust_env = False
