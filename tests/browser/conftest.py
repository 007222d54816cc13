"""Browser tests: Debian's chromium driven through Playwright's sync API against
pytest-django's live server.

Fixtures: `browser` (chromium, installed with apt-get when missing and we are root, skipped
with the reason otherwise), `page` (a fresh context per test, 1366x768, zh-CN) and `login`
(signs a user in through the real login form). Tests that use them run on a transactional
database (the live server reads what the test writes), so `personas` works as everywhere."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import reverse

from minzheng.core.models import User
from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1366, "height": 768}  # the township office screen
TIMEOUT_MS = 15_000


def _install_chromium() -> str:
    """Install Debian's chromium (and a CJK font, so screenshots read); "" when it worked,
    otherwise why not."""
    if os.geteuid() != 0:
        return f"{CHROMIUM} is missing; as root run: apt-get install -y chromium fonts-noto-cjk"
    if shutil.which("apt-get") is None:
        return f"{CHROMIUM} is missing and there is no apt-get to install Debian's chromium"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)  # noqa: S607
    done = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "chromium", "fonts-noto-cjk"],  # noqa: S607
        env=env,
        check=False,
    )
    if done.returncode != 0 or not os.path.exists(CHROMIUM):
        return f"apt-get install chromium fonts-noto-cjk failed (exit {done.returncode})"
    return ""


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not os.path.exists(CHROMIUM):
        reason = _install_chromium()
        if reason:
            pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[Any]:
    """One chromium per test module. While Playwright's sync API runs, its event loop is
    current in this thread; Django would then refuse ORM calls from the test itself, so the
    guard is lifted for exactly that time (the live server runs in its own thread)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) at the office screen size, in Chinese."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN", base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def login(page: Any, live_server: Any) -> Callable[..., Any]:
    """`login(user)` signs the user in through the login form and returns the page."""

    def sign_in(user: User, password: str = PASSWORD) -> Any:
        page.goto(reverse("login"))
        page.locator("input[name=username]").fill(user.username)
        page.locator("input[name=password]").fill(password)
        with page.expect_navigation():
            page.locator("input[name=password]").press("Enter")
        if reverse("login") in page.url:
            raise AssertionError(f"{user.username} could not log in: {page.inner_text('main')}")
        return page

    return sign_in
