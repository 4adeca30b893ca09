"""The `multivac` command."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import click

from multivac.devrun import DevOptions, run_dev
from multivac.sandbox.server import SandboxOptions, start_sandbox
from multivac.settings import Settings, SettingsError, load_settings
from multivac.store import migrate


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Multivac: PagerDuty pages become Slack war rooms with a Jira issue, in seconds."""


@cli.command()
@click.option(
    "--web-port", default=8000, show_default=True, envvar="DEV_WEB_PORT", help="Multivac's port."
)
@click.option(
    "--sandbox-port",
    default=8025,
    show_default=True,
    envvar="DEV_SANDBOX_PORT",
    help="The sandbox's port.",
)
@click.option("--latency-ms", default=0.0, show_default=True, help="Sandbox latency per API call.")
def dev(web_port: int, sandbox_port: int, latency_ms: float) -> None:
    """Run web, worker, beat and the sandbox together, on embedded defaults."""
    try:
        status = run_dev(
            DevOptions(web_port=web_port, sandbox_port=sandbox_port, latency_ms=latency_ms)
        )
    except (SettingsError, OSError) as error:
        raise click.ClickException(str(error)) from None
    sys.exit(status)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8025, show_default=True)
@click.option("--time-scale", default=1.0, show_default=True, help="60 makes a minute last 1 s.")
@click.option("--latency-ms", default=0.0, show_default=True)
@click.option("--jitter-ms", default=0.0, show_default=True)
@click.option("--multivac-url", default=None, help="Where webhooks and Slack requests are sent.")
def sandbox(
    host: str,
    port: int,
    time_scale: float,
    latency_ms: float,
    jitter_ms: float,
    multivac_url: str | None,
) -> None:
    """Serve the local Slack, PagerDuty and Jira emulators until interrupted."""
    options = SandboxOptions(
        host=host,
        port=port,
        time_scale=time_scale,
        latency_ms=latency_ms,
        jitter_ms=jitter_ms,
        multivac_url=multivac_url,
    )
    try:
        running = start_sandbox(options)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    click.echo(f"sandbox: {running.url}/")
    click.echo(f"  Slack API {running.slack_api_url}")
    click.echo(f"  PagerDuty {running.pagerduty_api_url}")
    click.echo(f"  Jira      {running.jira_url}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        running.stop()


@cli.group()
def db() -> None:
    """Database schema."""


@db.command()
@click.option("--revision", default="head", show_default=True)
def upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    settings = _settings()
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(
            parents=True, exist_ok=True
        )
    migrate.upgrade(settings.database_url, revision)
    click.echo(f"database at {migrate.current(settings.database_url)}")


@db.command()
def current() -> None:
    """Print the schema revision the database is at."""
    click.echo(migrate.current(_settings().database_url) or "empty")


@cli.command("check-config")
def check_config() -> None:
    """Validate settings and print them (without secrets)."""
    settings = _settings()
    click.echo(settings.model_dump_json(indent=2))


def main() -> None:
    cli(prog_name="multivac")
