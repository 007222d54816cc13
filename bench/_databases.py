"""Fresh databases for a benchmark run: an SQLite file in a temporary folder, and a PostgreSQL
database created on the server of DATABASE_URL (default 127.0.0.1:5432, user postgres) and
dropped afterwards. Each benchmark runs its Django part in a child process per database, so
that one process never has two settings."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
ROOT = Path(__file__).resolve().parent.parent


def wanted(database: str) -> bool:
    """BENCH_DATABASES=postgresql (or sqlite) limits a run to one database."""
    chosen = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
    return database in chosen


@contextlib.contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="mz-bench-") as folder:
        yield f"sqlite:///{folder}/bench.sqlite3"


@contextlib.contextmanager
def postgres_url(name: str) -> Iterator[str | None]:
    """A fresh database `name` on the server; None when no server answers."""
    import psycopg

    given = os.environ.get("DATABASE_URL", "")
    server = given if given.startswith("postgres") else DEFAULT_SERVER
    parts = urlsplit(server)
    admin = urlunsplit(parts._replace(path="/postgres"))
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        print(f"# PostgreSQL skipped: {e}".splitlines()[0], flush=True)
        yield None
        return
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(parts._replace(path=f"/{name}"))
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_child(script: Path, database_url: str, *args: str) -> dict[str, Any]:
    """Run `script --child ARGS` against the database; its last stdout line is JSON."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "minzheng.settings.base",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        # a 200,000-household CSV is ~71 MB, above the upload page's default cap of 50 MB
        "IMPORT_MAX_BYTES": os.environ.get("IMPORT_MAX_BYTES", str(512 * 1024 * 1024)),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, str(script), "--child", *args],
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def django_setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minzheng.settings.base")
    django.setup()


def migrate_and_seed_regions() -> None:
    """Schema plus the bench county's regions (in the child, after django_setup)."""
    from django.core.management import call_command

    from bench._registry_data import region_rows
    from minzheng.core.models import Region

    call_command("migrate", verbosity=0, skip_checks=True)
    Region.objects.bulk_create(
        Region(code=code, name=name, level=level, parent_id=parent, urban_rural_code=ur)
        for code, name, level, parent, ur in region_rows()
    )
