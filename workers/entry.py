"""Process entry point for `celery -A workers.entry` (Procfile `worker` and `beat`).

This is the composition root of a worker process: the one place that reads the environment.
"""

from __future__ import annotations

import sys

from multivac.settings import SettingsError, load_settings
from workers.celery_app import make_celery

try:
    app = make_celery(load_settings())
except SettingsError as error:
    print(f"multivac: {error}", file=sys.stderr)
    raise SystemExit(2) from None
