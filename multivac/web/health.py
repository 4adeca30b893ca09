"""`GET /healthz`: is this process able to take work (database and broker answer)?"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from multivac.runtime import Runtime

blueprint = Blueprint("health", __name__)


def _check_database(runtime: Runtime) -> str:
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        return f"unavailable: {type(error).__name__}"
    return "ok"


def _check_broker(runtime: Runtime) -> str:
    try:
        runtime.redis.ping()
    except RedisError as error:
        return f"unavailable: {type(error).__name__}"
    return "ok"


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    runtime: Runtime = current_app.extensions["multivac"]
    checks = {"database": _check_database(runtime), "broker": _check_broker(runtime)}
    healthy = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if healthy else "degraded", **checks), 200 if healthy else 503
