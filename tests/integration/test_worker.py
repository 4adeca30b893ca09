"""A real Celery worker on the real Redis runs Multivac's tasks against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import celery.contrib.testing.tasks  # noqa: F401 - registers `celery.ping` for start_worker
import pytest
from celery.contrib.testing.worker import start_worker

from multivac.broker import SharedClientChannel
from multivac.queueing import QUEUE, celery_config
from multivac.sandbox.server import RunningSandbox
from tests.support import sandbox_settings
from workers import tasks
from workers.celery_app import MultivacCelery, make_celery

pytestmark = pytest.mark.integration

TEST_REDIS_URL = "redis://127.0.0.1:6379/11"


@pytest.fixture
def worker_app(sandbox: RunningSandbox, tmp_path: Path) -> Iterator[MultivacCelery]:
    settings = sandbox_settings(sandbox, f"sqlite:///{tmp_path}/m.db", TEST_REDIS_URL)
    app = make_celery(settings)
    app.control.purge()
    # start_worker's own ping goes through Celery's *current* app; ours is deliberately not made
    # current (no global state), so ping it by name through this app instead.
    with start_worker(app, pool="threads", concurrency=4, perform_ping_check=False):
        assert app.send_task("celery.ping").get(timeout=10) == "pong"
        yield app
    app.runtime.close()


def test_a_real_worker_probes_all_three_vendors_through_the_sandbox(
    worker_app: MultivacCelery, sandbox: RunningSandbox
) -> None:
    result = worker_app.send_task("workers.tasks.probe_integrations").get(timeout=20)
    assert result == {"slack": "ok", "pagerduty": "ok", "jira": "ok"}
    assert sandbox.sandbox.traffic.log.count("slack", "auth.test") == 1


def test_a_jira_outage_is_reported_in_plain_words_not_raised(
    worker_app: MultivacCelery, sandbox: RunningSandbox
) -> None:
    sandbox.sandbox.traffic.start_outage("jira", 60)
    result = worker_app.send_task("workers.tasks.probe_integrations").get(timeout=20)
    assert result["slack"] == "ok"
    assert result["pagerduty"] == "ok"
    assert result["jira"].startswith("Transient")


def test_every_task_is_routed_to_the_multivac_queue(worker_app: MultivacCelery) -> None:
    own = [name for name in worker_app.tasks if name.startswith("workers.tasks.")]
    assert tasks.probe_integrations.name in own
    for name in own:
        route = worker_app.amqp.router.route({}, name)
        assert route["queue"].name == QUEUE, name


def test_the_broker_shares_one_publishing_client_and_still_delivers(
    worker_app: MultivacCelery,
) -> None:
    with worker_app.connection_for_write() as connection:
        channel = connection.default_channel
        assert isinstance(channel, SharedClientChannel)
        assert channel._create_client() is channel._create_client()
        assert channel._create_client(asynchronous=True) is not channel._create_client()
    results = [worker_app.send_task("celery.ping") for _ in range(20)]
    assert [result.get(timeout=10) for result in results] == ["pong"] * 20


def test_a_broker_url_kombu_routes_elsewhere_keeps_kombus_transport(tmp_path: Path) -> None:
    settings = sandbox_settings(None, f"sqlite:///{tmp_path}/m.db", "sentinel://127.0.0.1:26379")
    assert "broker_transport" not in celery_config(settings)
    redis = sandbox_settings(None, f"sqlite:///{tmp_path}/m.db", TEST_REDIS_URL)
    assert celery_config(redis)["broker_transport"] == "multivac.broker:RedisTransport"
