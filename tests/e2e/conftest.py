"""The whole system on loopback (see `multivac.testing.system`), with the seeded organisation's
routing and the sandbox clock in the American afternoon, so who is on call is known."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from multivac.sandbox.seed import team_by_slug
from multivac.sandbox.server import RunningSandbox, SandboxOptions
from multivac.settings import IncidentSettings, ServiceRoute, Settings
from multivac.testing.system import System, running_system
from tests.support import sandbox_settings

# Its own Redis database, flushed around each test; override to run two suites side by side.
E2E_REDIS_URL = os.environ.get("MULTIVAC_E2E_REDIS_URL", "redis://127.0.0.1:6379/13")
# As settings.toml ships: customer-facing services bring in the customer-support specialists.
CX_SPECIALISTS = team_by_slug("cx-specialists").slack_usergroup_id
ROUTES = [ServiceRoute(service="Bank Feeds", invite_usergroups=[CX_SPECIALISTS])]
AMER_AFTERNOON = datetime(2026, 11, 22, 16, 0, tzinfo=UTC)  # Bank Feeds on call: Lucas Kim


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    def settings_for(sandbox: RunningSandbox) -> Settings:
        settings = sandbox_settings(sandbox, f"sqlite:///{tmp_path}/multivac.db", E2E_REDIS_URL)
        return settings.model_copy(update={"incidents": IncidentSettings(routes=ROUTES)})

    with running_system(settings_for, SandboxOptions()) as running:
        running.sandbox.sandbox.frozen_now = AMER_AFTERNOON
        yield running
