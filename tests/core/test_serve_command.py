"""`minzheng serve` (what `make run` calls): the site on 127.0.0.1:PORT and the database task
worker beside it; stopping the server, by Ctrl-C or SIGTERM, stops the worker too."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from minzheng.core.management.commands.serve import WORKER_STOPPED, worker_command


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database of its own (the test database lives in the test process)."""
    path = tmp_path_factory.mktemp("serve")
    subprocess.run(
        [sys.executable, "-m", "minzheng", "migrate", "-v0"],
        env=environment(path),
        check=True,
        timeout=300,
        capture_output=True,
    )
    return path


def environment(data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "minzheng.settings.base",
        "MINZHENG_DATA_DIR": str(data_dir),
        **extra,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def wait_for_page(url: str, server: subprocess.Popen[str], seconds: float = 60) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server stopped"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                return int(response.status)
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds}s")


def test_the_worker_command_runs_this_python_on_every_queue() -> None:
    assert worker_command()[:4] == [sys.executable, "-m", "minzheng", "db_worker"]
    assert "--no-reload" in worker_command()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_runs_site_and_worker_and_stopping_it_stops_both(
    data_dir: Path, stop: signal.Signals
) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "minzheng", "serve"],
        env=environment(data_dir, PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert wait_for_page(f"http://127.0.0.1:{port}/login/", server) == 200
        workers = [pid for pid in children(server.pid) if "db_worker" in command_line(pid)]
        assert len(workers) == 1
        server.send_signal(stop)
        output, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert WORKER_STOPPED in output
    assert not Path(f"/proc/{workers[0]}").exists() or "db_worker" not in command_line(workers[0])
    assert server.returncode in (0, -stop)


def test_no_worker_is_started_for_a_backend_that_is_not_the_database(data_dir: Path) -> None:
    port = free_port()
    env = environment(
        data_dir, PORT=str(port), TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend"
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "minzheng", "serve", "--host", "127.0.0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_page(f"http://127.0.0.1:{port}/login/", server)
        assert children(server.pid) == []
        os.kill(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert "不启动后台任务进程" in output
