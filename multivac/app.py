"""`create_app(settings)`: the Flask application that receives webhooks, commands and events."""

from __future__ import annotations

import sys

from flask import Flask, current_app, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from multivac.queueing import TaskQueue
from multivac.runtime import Runtime
from multivac.settings import Settings, SettingsError, load_settings
from multivac.web import health, pagerduty, slack


def create_app(
    settings: Settings, runtime: Runtime | None = None, queue: TaskQueue | None = None
) -> Flask:
    """Build the web app. `runtime` may be shared with a Celery app in the same process (tests);
    `queue` is where handlers send work (the workers' queue unless a test gives its own)."""
    app = Flask("multivac")
    app.config["MAX_CONTENT_LENGTH"] = settings.web.max_body_bytes
    app.extensions["multivac"] = runtime or Runtime(settings)
    app.extensions["multivac.queue"] = queue or TaskQueue(settings)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(pagerduty.blueprint)
    app.register_blueprint(slack.blueprint)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def _http_error(error: HTTPException) -> ResponseReturnValue:
    status = error.code or 500
    return jsonify(error=error.name, message=error.description), status


def _unexpected_error(error: Exception) -> ResponseReturnValue:
    # Logged with its traceback; the caller gets a plain message, never the trace.
    current_app.logger.exception("unhandled error", exc_info=error)
    return jsonify(error="Internal Server Error", message="Multivac failed; see its logs."), 500


def create_app_from_environment() -> Flask:
    """Entry point for gunicorn (`web` in the Procfile): settings from file and environment."""
    try:
        return create_app(load_settings())
    except SettingsError as error:
        print(f"multivac: {error}", file=sys.stderr)
        raise SystemExit(2) from None
