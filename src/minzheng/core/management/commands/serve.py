"""`minzheng serve`: the whole application on one machine, as `make run` starts it: the task
worker (imports and other long jobs run there) beside Django's development server. Stopping the
server (Ctrl-C, or SIGTERM) stops the worker too.

    minzheng serve --port 8000 --host 127.0.0.1
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"
WORKER_STOP_SECONDS = 10
PORT_INVALID = "端口应为1到65535之间的整数:{port}"
WORKER_STARTED = "后台任务进程已启动(进程号 {pid})"
WORKER_STOPPED = "后台任务进程已停止"
WORKER_SKIPPED = "任务后端不是数据库队列({backend}),不启动后台任务进程"


def default_port() -> int:
    raw = os.environ.get("PORT", "") or "8000"
    try:
        return int(raw)
    except ValueError:
        raise CommandError(PORT_INVALID.format(port=raw)) from None


def worker_command() -> list[str]:
    """The database task worker, run by this same Python with this project's settings."""
    return [
        sys.executable,
        "-m",
        "minzheng",
        "db_worker",
        "--queue-name",
        "*",
        "--no-reload",
        "--no-startup-delay",
    ]


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "启动网站和后台任务进程(make run 使用);停止网站时一并停止后台任务进程"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--port", type=int, default=None, help="端口(默认取环境变量PORT或8000)")
        parser.add_argument("--host", default="127.0.0.1", help="监听地址(默认127.0.0.1)")
        parser.add_argument(
            "--no-worker", action="store_true", help="只启动网站,不启动后台任务进程"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"] if options["port"] is not None else default_port()
        if not 0 < port < 65536:
            raise CommandError(PORT_INVALID.format(port=port))
        worker = None if options["no_worker"] else self.start_worker()
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            call_command("runserver", f"{options['host']}:{port}", use_reloader=False)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            if worker is not None:
                self.stop_worker(worker)

    def start_worker(self) -> subprocess.Popen[bytes] | None:
        backend = settings.TASKS["default"]["BACKEND"]
        if backend != DATABASE_BACKEND:
            self.stdout.write(WORKER_SKIPPED.format(backend=backend))
            return None
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
        worker = subprocess.Popen(worker_command(), env=env)  # noqa: S603 (our own command)
        self.stdout.write(WORKER_STARTED.format(pid=worker.pid))
        return worker

    def stop_worker(self, worker: subprocess.Popen[bytes]) -> None:
        """SIGTERM lets the worker finish its bookkeeping; kill it if it does not stop."""
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(WORKER_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
        self.stdout.write(WORKER_STOPPED)
