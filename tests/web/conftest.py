"""Browser tests: a real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright.

Async Playwright runs on the test's own event loop, so browser tests and async tests mix;
they are still ordered last (see tests/conftest.py) because they are the slowest.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = os.environ.get("QUARTIER_CHROMIUM", "/usr/bin/chromium")
# Without these, Chromium tries to reach Google's services, which a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(locale="en-GB", accept_downloads=True)
    page = await context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        await context.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServedNode:
    """`quartier serve --init-if-missing` in its own process, exactly as scripts/run starts it."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "node",
                "serve",
                "--data",
                str(data_dir),
                "--port",
                str(self.port),
                "--init-if-missing",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.output: list[str] = []
        self._setup_link_seen = threading.Event()
        # Drain the output for the whole life of the process, or its access log fills the pipe.
        threading.Thread(target=self._drain, daemon=True).start()
        self._wait_until_healthy()

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if "/setup/" in line:
                self._setup_link_seen.set()
        self._setup_link_seen.set()

    @property
    def setup_link(self) -> str:
        self._setup_link_seen.wait(timeout=30)
        links = [line.strip() for line in self.output if "/setup/" in line]
        assert links, "no setup link printed:\n" + "".join(self.output)
        return links[-1]

    def _wait_until_healthy(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("node exited:\n" + "".join(self.output))
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                # Not listening yet: wait on the process, which also notices an early exit.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=0.05)
        raise RuntimeError("node did not become healthy:\n" + "".join(self.output))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture
def served_node(tmp_path: Path) -> Iterator[ServedNode]:
    node = ServedNode(tmp_path / "data")
    try:
        yield node
    finally:
        node.stop()
