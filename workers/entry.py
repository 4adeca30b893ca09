"""Process entry point for `celery -A workers.entry` (Procfile `worker` and `beat`).

This is the composition root of a worker process: the one place that reads the environment.
"""

from __future__ import annotations

import gc
import sys

from celery.signals import worker_ready

from multivac.settings import SettingsError, load_settings
from workers.celery_app import make_celery


def freeze_start_up_objects(**_: object) -> None:
    """What a worker builds before it takes work (modules, settings, clients: some 100k objects)
    lives as long as the process. Moved out of the collector's reach, it is not scanned again by
    every full collection, which otherwise pauses all of the worker's threads for ~0.1 s."""
    gc.collect()
    gc.freeze()


try:
    app = make_celery(load_settings())
except SettingsError as error:
    print(f"multivac: {error}", file=sys.stderr)
    raise SystemExit(2) from None
worker_ready.connect(freeze_start_up_objects)
