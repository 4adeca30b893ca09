"""The worker process's entry point: what it does once the worker is ready to take work."""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Iterator

import pytest
from celery.signals import worker_ready

from multivac.devrun import sandbox_environment


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the test run collects as usual


def test_a_ready_worker_keeps_its_start_up_objects_out_of_the_collectors_scans(
    monkeypatch: pytest.MonkeyPatch, unfrozen: None
) -> None:
    for name, value in sandbox_environment("http://127.0.0.1:9", "http://127.0.0.1:9", {}).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delitem(sys.modules, "workers.entry", raising=False)
    importlib.import_module("workers.entry")
    assert gc.get_freeze_count() == 0

    worker_ready.send(sender=None)

    assert gc.get_freeze_count() > 10_000
