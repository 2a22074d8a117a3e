"""Browser tests: Debian's chromium, driven by Playwright, against pytest-django's live server.

Nothing is installed at run time: without /usr/bin/chromium (Debian package ``chromium``) the
tests skip and say so.

The live server answers from another thread, so every browser test runs in a database whose
writes commit (``committed_db``, tests/conftest.py: it puts back the regions each flush takes).

Playwright's sync API keeps an event loop running in the test thread; Django would refuse
database calls from that thread, hence DJANGO_ALLOW_ASYNC_UNSAFE, set only while this
module's browser is running.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Response,
    expect,
    sync_playwright,
)

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1440, "height": 900}


@pytest.fixture(autouse=True)
def committing(committed_db) -> None:
    """Every browser test: the live server's thread sees only committed data."""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"no chromium at {CHROMIUM}: install the Debian package `chromium` to run the browser tests")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            yield browser
            browser.close()


class Screenshots:
    """Full-page screenshots of one test, numbered in the order taken:
    var/artifacts/browser/<test>/<nn-step>.png (kept after the run, for people to look at)."""

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder, self.taken = folder, 0

    def take(self, page: Page, step: str) -> Path:
        self.taken += 1
        path = self.folder / f"{self.taken:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


class Visitor:
    """One person at their own browser (own cookies), on the live server."""

    def __init__(self, page: Page, base_url: str, shots: Screenshots) -> None:
        self.page, self.base_url, self.shots = page, base_url, shots
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        # a failed load is reported (with its address) by _response
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"{self.page.url}: {message.text}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.errors.append(f"{self.page.url}: {response.status} for {response.url}")

    def open(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def log_in(self, username: str, password: str) -> None:
        self.open("/login/")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(password)
        self.page.get_by_role("button", name="登录").click()
        expect(self.page).not_to_have_url(re.compile(r"/login/"))

    def shot(self, step: str) -> Path:
        return self.shots.take(self.page, step)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def visitor(chromium: Browser, live_server, request) -> Iterator[Callable[[], Visitor]]:
    """``visitor()`` opens a fresh browser for one more person. At the end a failed test leaves a
    screenshot of every open page, and a JavaScript error or a failed load (4xx/5xx) fails the test."""
    root = Path(request.config.rootpath) / "var" / "artifacts" / "browser"
    shots = Screenshots(root / request.node.name)
    opened: list[tuple[BrowserContext, Visitor]] = []

    def open_browser() -> Visitor:
        context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
        context.set_default_timeout(15_000)
        person = Visitor(context.new_page(), live_server.url, shots)
        opened.append((context, person))
        return person

    yield open_browser
    outcome = getattr(request.node, "report_call", None)  # set by pytest_runtest_makereport below
    failed = outcome is not None and outcome.failed
    errors = []
    for context, person in opened:
        if failed:
            person.shot("failed")
        errors += person.errors
        context.close()
    if errors and not failed:
        pytest.fail("errors in the browser (JavaScript, failed loads):\n" + "\n".join(errors))
