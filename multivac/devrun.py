"""`multivac dev`: the whole system on one machine, against the sandbox.

Starts the sandbox in this process, migrates the database, then runs the Procfile's processes
(web, worker, beat) with the sandbox's embedded credentials, and stops everything on Ctrl-C.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from urllib.error import URLError
from urllib.request import urlopen

from multivac.sandbox import credentials
from multivac.sandbox.server import RunningSandbox, SandboxOptions, start_sandbox
from multivac.settings import load_settings
from multivac.store.migrate import upgrade

PROCFILE_LINE = re.compile(r"^(?P<name>[A-Za-z0-9_-]+):\s*(?P<command>.+)$")
HEALTH_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0


@dataclass(frozen=True)
class DevOptions:
    web_port: int = 8000
    sandbox_port: int = 8025
    host: str = "127.0.0.1"
    procfile: Path = Path("Procfile")
    latency_ms: float = 0.0


def read_procfile(path: Path) -> dict[str, str]:
    """The Procfile's processes, in file order."""
    processes: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = PROCFILE_LINE.match(line.strip())
        if match and not line.lstrip().startswith("#"):
            processes[match["name"]] = match["command"]
    return processes


def sandbox_environment(sandbox_url: str, web_url: str, base: Mapping[str, str]) -> dict[str, str]:
    """`base` plus the settings that point Multivac at the sandbox with its embedded credentials."""
    env = dict(base)
    env.update(
        {
            "MULTIVAC_SLACK__BOT_TOKEN": credentials.SLACK_BOT_TOKEN,
            "MULTIVAC_SLACK__SIGNING_SECRET": credentials.SLACK_SIGNING_SECRET,
            "MULTIVAC_SLACK__API_URL": f"{sandbox_url}/slack/api/",
            "MULTIVAC_PAGERDUTY__API_TOKEN": credentials.PAGERDUTY_API_TOKEN,
            "MULTIVAC_PAGERDUTY__FROM_EMAIL": credentials.PAGERDUTY_FROM_EMAIL,
            "MULTIVAC_PAGERDUTY__API_URL": f"{sandbox_url}/pagerduty",
            "MULTIVAC_PAGERDUTY__WEBHOOK_SECRETS": credentials.PAGERDUTY_WEBHOOK_SECRET,
            "MULTIVAC_JIRA__URL": f"{sandbox_url}/jira",
            "MULTIVAC_JIRA__EMAIL": credentials.JIRA_EMAIL,
            "MULTIVAC_JIRA__API_TOKEN": credentials.JIRA_API_TOKEN,
            "MULTIVAC_WEB__PUBLIC_URL": web_url,
        }
    )
    return env


@dataclass
class Supervisor:
    """Runs named shell commands in their own process groups, prefixing their output."""

    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, command: str) -> None:
        process = subprocess.Popen(  # noqa: S602 - Procfile lines are shell commands by definition
            command,
            shell=True,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = process
        threading.Thread(target=self._relay, args=(name, process), daemon=True).start()

    def _relay(self, name: str, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            sys.stdout.write(f"{name:>8} | {raw.decode(errors='replace')}")
            sys.stdout.flush()

    def first_exited(self) -> str | None:
        return next((n for n, p in self.processes.items() if p.poll() is not None), None)

    def stop(self) -> None:
        """SIGTERM every group, wait, then SIGKILL what is left."""
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def wait_healthy(url: str, supervisor: Supervisor, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if supervisor.first_exited() is not None:
            return False
        try:
            with urlopen(f"{url}/healthz", timeout=1.0) as response:  # noqa: S310 - our own URL
                if response.status == 200:
                    return True
        except (URLError, OSError):
            pass
        time.sleep(0.25)
    return False


@contextmanager
def _stop_on_signals(stopping: threading.Event) -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_dev(options: DevOptions) -> int:
    """Run until Ctrl-C / SIGTERM or until a process dies; returns the exit status."""
    web_url = f"http://{options.host}:{options.web_port}"
    sandbox = start_sandbox(
        SandboxOptions(
            host=options.host,
            port=options.sandbox_port,
            multivac_url=web_url,
            latency_ms=options.latency_ms,
        )
    )
    env = sandbox_environment(sandbox.url, web_url, os.environ)
    env.update({"HOST": options.host, "PORT": str(options.web_port), "PYTHONUNBUFFERED": "1"})
    # The Procfile's commands (gunicorn, celery) live beside this interpreter.
    env["PATH"] = os.pathsep.join((str(Path(sys.executable).parent), env.get("PATH", "")))
    settings = load_settings(env)
    Path("var").mkdir(exist_ok=True)
    upgrade(settings.database_url)
    supervisor = Supervisor(env)
    stopping = threading.Event()
    with _stop_on_signals(stopping):
        for name, command in read_procfile(options.procfile).items():
            supervisor.start(name, command)
        status = _watch(supervisor, sandbox, web_url, stopping)
    print("multivac: stopping", flush=True)
    supervisor.stop()
    sandbox.stop()
    print("multivac: stopped", flush=True)
    return status


def _watch(
    supervisor: Supervisor, sandbox: RunningSandbox, web_url: str, stopping: threading.Event
) -> int:
    if not wait_healthy(web_url, supervisor, HEALTH_TIMEOUT_SECONDS):
        dead = supervisor.first_exited()
        print(f"multivac: {dead or 'web'} did not start; see the output above", flush=True)
        return 1
    print(
        f"\nmultivac: ready. Sandbox page: {sandbox.url}/  (Multivac: {web_url}/healthz)\n"
        "multivac: press Ctrl-C to stop.\n",
        flush=True,
    )
    while not stopping.wait(0.5):
        dead = supervisor.first_exited()
        if dead is not None:
            print(f"multivac: process {dead!r} exited; stopping the others", flush=True)
            return 1
    return 0
