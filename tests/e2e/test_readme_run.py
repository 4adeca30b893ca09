"""The README's run command, as a user runs it: start, see it answer, Ctrl-C, everything gone."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.request import urlopen

import pytest

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 120


def readme_run_command() -> list[str]:
    """The first command of the README's first code block."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block is not None, "README.md must start with a bash block of the two commands"
    first = block.group(1).splitlines()[0].split("#", 1)[0].split()
    assert first == ["make", "run"]
    return first


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def accepts(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def get(url: str) -> tuple[int, bytes]:
    with urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
        return response.status, response.read()


def wait_for_line(lines: list[str], wanted: Callable[[str], bool]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not any(wanted(line) for line in lines):
        assert time.monotonic() < deadline, "".join(lines)
        time.sleep(0.2)


@pytest.mark.slow
def test_make_run_starts_web_worker_beat_and_sandbox_then_stops_on_ctrl_c(tmp_path: Path) -> None:
    web_port, sandbox_port = free_port(), free_port()
    env = {
        **os.environ,
        "DEV_WEB_PORT": str(web_port),
        "DEV_SANDBOX_PORT": str(sandbox_port),
        "MULTIVAC_DATABASE_URL": f"sqlite:///{tmp_path}/multivac.db",
    }
    process = subprocess.Popen(
        readme_run_command(),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")))  # type: ignore[union-attr]
    reader.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not any("multivac: ready" in line for line in lines):
            assert process.poll() is None, "make run exited early:\n" + "".join(lines)
            assert time.monotonic() < deadline, "not ready in time:\n" + "".join(lines)
            time.sleep(0.2)
        banner = next(line for line in lines if "Sandbox page:" in line)
        assert f"http://127.0.0.1:{sandbox_port}/" in banner

        status, body = get(f"http://127.0.0.1:{web_port}/healthz")
        assert (status, json.loads(body)["status"]) == (200, "ok")
        status, page = get(f"http://127.0.0.1:{sandbox_port}/")
        assert status == 200
        assert b"Multivac sandbox" in page
        status, state = get(f"http://127.0.0.1:{sandbox_port}/_sandbox/state")
        assert len(json.loads(state)["slack"]["users"]) >= 25
        wait_for_line(lines, lambda line: "worker |" in line and "ready." in line)
        wait_for_line(lines, lambda line: "beat |" in line and "Starting" in line)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=60)
        reader.join(timeout=10)
        process.stdout.close()  # type: ignore[union-attr]
    output = "".join(lines)
    assert "multivac: stopped" in output, output
    assert not accepts(web_port)
    assert not accepts(sandbox_port)
