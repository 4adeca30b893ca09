"""Fixtures for the sandbox's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from multivac.sandbox.server import RunningSandbox
from tests.sandbox.slack_helpers import FakeMultivac, multivac_for


@pytest.fixture
def multivac(sandbox: RunningSandbox) -> Iterator[FakeMultivac]:
    """A recording stand-in for Multivac, set as the sandbox's `multivac_url`."""
    with multivac_for(sandbox) as fake:
        yield fake
