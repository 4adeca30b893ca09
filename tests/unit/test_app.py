"""The web app answers health checks honestly and never shows a stack trace."""

from __future__ import annotations

from pathlib import Path

from multivac.app import create_app
from tests.support import sandbox_settings


def test_healthz_is_ok_when_database_and_broker_answer(tmp_path: Path) -> None:
    app = create_app(sandbox_settings(None, f"sqlite:///{tmp_path}/m.db"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_is_503_naming_the_broker_when_redis_is_down(tmp_path: Path) -> None:
    settings = sandbox_settings(None, f"sqlite:///{tmp_path}/m.db", "redis://127.0.0.1:1/0")
    response = create_app(settings).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json is not None
    assert response.json["status"] == "degraded"
    assert response.json["database"] == "ok"
    assert response.json["broker"].startswith("unavailable")


def test_unknown_paths_get_a_json_404_not_a_page(tmp_path: Path) -> None:
    app = create_app(sandbox_settings(None, f"sqlite:///{tmp_path}/m.db"))
    response = app.test_client().post("/nowhere")
    assert response.status_code == 404
    assert response.json is not None
    assert response.json["error"] == "Not Found"


def test_an_unexpected_error_is_a_plain_500_without_a_trace(tmp_path: Path) -> None:
    app = create_app(sandbox_settings(None, f"sqlite:///{tmp_path}/m.db"))

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    app.logger.disabled = True  # shared by every app named "multivac": restored below
    try:
        response = app.test_client().get("/boom")
    finally:
        app.logger.disabled = False
    assert response.status_code == 500
    assert b"secret internals" not in response.data
    assert b"Traceback" not in response.data
