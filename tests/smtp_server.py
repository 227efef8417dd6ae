"""A real SMTP server for tests, and a node whose e-mail goes to it.

`smtp_server` runs aiosmtpd's Controller on 127.0.0.1 on a free port, in its own thread, and
keeps every message it receives, parsed with the `email` package. `mail_node` is the usual
`node` fixture's twin with [mail] pointed at that server (no TLS). Register this module with
`pytest_plugins = ["tests.smtp_server"]` in tests/conftest.py, or import the fixtures.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from node.app import create_app
from node.config import load_config
from tests.conftest import Node, make_config

HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class _Collector:
    """aiosmtpd handler (runs on the server's thread): keeps each message and its recipients."""

    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def handle_DATA(self, server, session, envelope) -> str:
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._server.arrived:
            self._server.messages.append(parsed)  # type: ignore[arg-type]
            self._server.envelopes.append(list(envelope.rcpt_tos))
            self._server.arrived.notify_all()
        return "250 Message accepted for delivery"


class SmtpServer:
    """A local SMTP server that can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.host = HOST
        self.port = _free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[list[str]] = []  # RCPT TO of each message, in order
        self.arrived = threading.Condition()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Collector(self), hostname=self.host, port=self.port)
        self._controller.start()

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until `count` messages have arrived (for mail sent in the background)."""

        def wait() -> bool:
            with self.arrived:
                return self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)

        assert await asyncio.to_thread(wait), f"expected {count} message(s) within {timeout} s"
        return self.messages

    def stop(self) -> None:
        """Take the server down: connections to its port are refused until `start()`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def bodies(self, message: EmailMessage) -> tuple[str, str]:
        """A message's plain-text and HTML bodies."""
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        assert text is not None and html is not None, "expected text and HTML alternatives"
        return text.get_content(), html.get_content()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def mail_config(data_dir: Path, server: SmtpServer):
    """A new node's configuration with its [mail] section pointed at `server`, without TLS."""
    make_config(data_dir)
    return load_config(
        data_dir,
        env={
            "QUARTIER_MAIL_SMTP_HOST": server.host,
            "QUARTIER_MAIL_SMTP_PORT": str(server.port),
            "QUARTIER_MAIL_SECURITY": "none",
            "QUARTIER_MAIL_FROM_ADDRESS": "quartier@testville.example",
        },
    )


@pytest.fixture
async def mail_node(aiohttp_client, tmp_path: Path, smtp_server: SmtpServer) -> Node:
    """A running node that sends its e-mail to `smtp_server`."""
    config = mail_config(tmp_path / "mail-node", smtp_server)
    client = await aiohttp_client(create_app(config))
    return Node(config, client)
