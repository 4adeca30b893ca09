"""Celery tasks: each takes ids, loads what it needs from the runtime, calls the domain, returns.

Tasks never import the Celery app; `self.app.runtime` is the process's `Runtime`.
"""

from __future__ import annotations

from celery import Task, shared_task

from multivac.diagnostics import probe_integrations as probe
from multivac.runtime import Runtime


def runtime_of(task: Task) -> Runtime:
    runtime: Runtime = task.app.runtime
    return runtime


@shared_task(bind=True, name="workers.tasks.probe_integrations")
def probe_integrations(self: Task) -> dict[str, str]:
    """Check each vendor with one authenticated read; used by `multivac check-config --probe`."""
    runtime = runtime_of(self)
    return probe(runtime.chat, runtime.pager, runtime.tracker, runtime.settings.jira.email)
