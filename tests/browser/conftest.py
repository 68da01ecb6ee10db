"""The dashboard in a real browser: Debian's chromium driven by Playwright, against the app served
by uvicorn on a free port (the same server setup as tests/e2e/test_idempotency.py).

One browser per test module, a fresh context (cookies) per test. Not one per session: Playwright's
sync API keeps its event loop marked as running in the thread until it stops, so any later test in
the same process that calls `asyncio.run` (the messaging and webhook tests do) would fail with
"cannot be called from a running event loop". Module scope stops it before the next module runs.

The user `admin` exists in every test; `add_user` makes others (argon2 hashing is slow on purpose, so
only the users a test needs are made). Every password is PASSWORD."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from conveyor.api.app import create_app
from conveyor.auth.handlers import create_user
from conveyor.bootstrap import Container
from tests.helpers import seed_world

CHROMIUM = os.environ.get("CONVEYOR_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct horse battery"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
        found = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield found
        found.close()


@pytest.fixture
def world(container: Container) -> dict:
    world = seed_world(container, {"SKU-A": 20, "SKU-B": 8, "SKU-C": 0}, locations=2)
    add_user(container, "admin")
    return world


def add_user(container: Container, role: str, username: str | None = None) -> None:
    create_user(container, username or role, PASSWORD, role, f"{role.title()} User")


@pytest.fixture
def server(container: Container, world: dict) -> Iterator[str]:
    """The app served by uvicorn on a free port; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(create_app(container), log_level="warning", access_log=False,
                                        lifespan="off"))
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(500):  # wait for startup (a readiness poll, not a timing assertion)
        if srv.started:
            break
        threading.Event().wait(0.02)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=30)
        sock.close()


@dataclass
class Session:
    page: object
    base: str

    def go(self, path: str):
        response = self.page.goto(self.base + path)
        assert response is not None
        return response


def log_in(browser, base: str, username: str) -> Session:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # Waits, not speed checks: generous, so a machine busy with other work does not fail a test.
    page.set_default_timeout(60_000)
    page.goto(f"{base}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    return Session(page, base)


@pytest.fixture
def admin(browser, server) -> Iterator[Session]:
    session = log_in(browser, server, "admin")
    yield session
    session.page.context.close()


def screenshot(session: Session, name: str, tmp_path: Path) -> Path:
    """A full-page screenshot: into docs/screenshots/ when CONVEYOR_SCREENSHOTS=1 (to refresh the
    README's tour), else next to the test's temporary files."""
    folder = SCREENSHOTS if os.environ.get("CONVEYOR_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    session.page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
    return path
