"""`minzheng check --deploy` under the production settings: clean with a real secret key, and
the production settings refuse to start with the development key published in base.py."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

COMMAND = [sys.executable, "-m", "minzheng", "check", "--deploy", "--fail-level", "WARNING"]


def check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "minzheng.settings.prod",
        "MINZHENG_DATA_DIR": str(tmp_path),
        "ALLOWED_HOSTS": "minzheng.example.gov.cn",
        **env,
    }
    return subprocess.run(  # noqa: S603
        COMMAND, capture_output=True, text=True, env=environment, timeout=120, check=False
    )


def test_the_deploy_checks_are_clean_with_a_long_random_secret_key(tmp_path: Path) -> None:
    done = check(tmp_path, SECRET_KEY=secrets.token_urlsafe(64))
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


def test_the_key_may_come_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(64) + "\n")
    done = check(tmp_path, SECRET_KEY_FILE=str(key_file))
    assert done.returncode == 0, done.stderr


def test_production_refuses_the_development_key_or_a_short_one(tmp_path: Path) -> None:
    for env in ({}, {"SECRET_KEY": "short-key"}):
        done = check(tmp_path, **env)
        assert done.returncode != 0
        assert "SECRET_KEY" in done.stderr
