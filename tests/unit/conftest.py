"""Fixtures for the unit tests of incident commands: a world of fakes over a migrated database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.commands_world import World, build_world, migrated_template


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite database per module, copied for each test (migrating is slow)."""
    return migrated_template(tmp_path_factory.mktemp("db"))


@pytest.fixture
def world(template: Path, tmp_path: Path) -> Iterator[World]:
    built = build_world(template, tmp_path)
    yield built
    built.close()
