"""Test settings: the database comes from DATABASE_URL (SQLite in a temp file by default)."""

from minzheng.settings.base import *  # noqa: F403
from minzheng.settings.base import DATABASES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
AXES_FAILURE_LIMIT = 5
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Row triggers would stop DELETE-based test isolation (see core migration 0002).
    AUDIT_DB_TRIGGERS = False
    # A real file, not the shared-cache memory database: two connections then wait for each
    # other (busy timeout, IMMEDIATE transactions) as in production instead of failing with
    # "database table is locked" (tests of simultaneous users need that).
    import os
    import tempfile

    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"minzheng-test-{os.getpid()}.sqlite3")
    }

# Matching's files (uploads, datasets, run work files) per test process, away from var/.
import os as _os  # noqa: E402
import tempfile as _tempfile  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

MATCHING_DIR = _Path(_tempfile.gettempdir()) / f"minzheng-test-matching-{_os.getpid()}"
# Spark in tests: two local threads, a small driver.
MATCHING_SPARK_MASTER = "local[2]"
