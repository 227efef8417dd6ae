"""The city's process is killed (SIGKILL) in the middle of delivering to 50 inboxes; after a
restart, every inbox holds the activity exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from node.__main__ import main as quartier
from node.federation.http_signatures import parse_signature, sign_cavage, verify_parsed
from tests.federation.conftest import free_port

FOLLOWERS = 50
DELIVERED_BEFORE_KILL = 10


class Receivers:
    """One server hosting 50 Mastodon-shaped accounts, each with its own inbox (no shared
    inbox, so the city makes 50 deliveries). It verifies every signature and, like any
    ActivityPub server, keeps an activity once per inbox however often it arrives.

    `hold` makes it stop answering after a number of Create deliveries, keeping the city's
    connections open: the moment to kill the city, mid-fan-out."""

    def __init__(self) -> None:
        self.port = free_port()
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.inboxes: dict[str, dict[str, dict]] = {f"u{i}": {} for i in range(FOLLOWERS)}
        self.raw_creates = 0
        self.hold_after: int | None = None
        self.held = asyncio.Event()
        self.release = asyncio.Event()
        self.complete = asyncio.Event()
        self.all_accepted = asyncio.Event()
        self._city_keys: dict[str, object] = {}
        self.server: TestServer | None = None
        self.session: aiohttp.ClientSession | None = None

    def actor_uri(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/users/{name}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/users/{name}", self._actor)
        app.router.add_post("/users/{name}/inbox", self._inbox)
        self.server = TestServer(app, host="127.0.0.1", port=self.port)
        await self.server.start_server()
        self.session = aiohttp.ClientSession()

    async def close(self) -> None:
        self.release.set()
        if self.session:
            await self.session.close()
        if self.server:
            await self.server.close()

    async def _actor(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        uri = self.actor_uri(name)
        return web.json_response(
            {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": uri,
                "type": "Person",
                "preferredUsername": name,
                "inbox": f"{uri}/inbox",
                "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": pem.decode()},
            },
            content_type="application/activity+json",
        )

    async def _inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        url = f"http://127.0.0.1:{self.port}{request.path}"
        parsed = parse_signature("POST", url, request.headers, body)
        key_url = parsed.key_id.split("#")[0]
        if key_url not in self._city_keys:
            async with self.session.get(  # type: ignore[union-attr]
                key_url, headers={"Accept": "application/activity+json"}
            ) as response:
                actor = await response.json(content_type=None)
            self._city_keys[key_url] = serialization.load_pem_public_key(
                actor["publicKey"]["publicKeyPem"].encode()
            )
        verify_parsed(parsed, self._city_keys[key_url])  # type: ignore[arg-type]
        activity = json.loads(body)
        if activity["type"] == "Create":
            self.raw_creates += 1
            if self.hold_after is not None and self.raw_creates > self.hold_after:
                self.held.set()
                await self.release.wait()  # the city dies while we hold its request
                return web.Response(status=503)
        self.inboxes[request.match_info["name"]].setdefault(activity["id"], activity)
        if all(
            any(a["type"] == "Accept" for a in inbox.values()) for inbox in self.inboxes.values()
        ):
            self.all_accepted.set()
        if all(
            any(a["type"] == "Create" for a in inbox.values()) for inbox in self.inboxes.values()
        ):
            self.complete.set()
        return web.Response(status=202)

    def creates_per_inbox(self) -> list[int]:
        return [
            sum(1 for a in inbox.values() if a["type"] == "Create")
            for inbox in self.inboxes.values()
        ]


class CityProcess:
    """`quartier serve` in its own process, as in production."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "QUARTIER_FEDERATION_ALLOW_PRIVATE_ADDRESSES": "true",
            "QUARTIER_CITY_ENABLED": "true",
            "QUARTIER_LOGGING_LEVEL": "INFO",
        }
        # The city's log, kept to explain a failure (shown by pytest when the test fails).
        self.log_path = self.data_dir.parent / "city.log"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "node",
                    "serve",
                    "--data",
                    str(self.data_dir),
                    "--port",
                    str(self.port),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def wait_healthy(self) -> None:
        def probe() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1):
                    return True
            except OSError:
                return False

        assert self.process is not None
        for _ in range(300):
            if await asyncio.to_thread(probe):
                return
            # Not listening yet: wait on the process itself, which also notices an early exit.
            try:
                await asyncio.to_thread(self.process.wait, 0.1)
            except subprocess.TimeoutExpired:
                continue
            raise AssertionError(f"city exited with {self.process.returncode}")
        raise AssertionError("city did not become healthy")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


async def test_city_killed_mid_fan_out_delivers_each_inbox_exactly_once_after_restart(
    tmp_path: Path, capsys
):
    receivers = Receivers()
    await receivers.start()
    port = free_port()
    data = tmp_path / "city"
    city_url = f"http://127.0.0.1:{port}"

    # The command line runs its own event loop: give it a thread of its own.
    def cli(*args: str) -> int:
        return quartier(list(args))

    assert await asyncio.to_thread(cli, "init", "--data", str(data), "--base-url", city_url) == 0
    assert (
        await asyncio.to_thread(
            cli,
            "admin",
            "create-user",
            "--data",
            str(data),
            "--email",
            "s@mons.example",
            "--name",
            "Staff",
            "--role",
            "city_staff",
        )
        == 0
    )
    capsys.readouterr()
    assert (
        await asyncio.to_thread(
            cli,
            "admin",
            "token",
            "--data",
            str(data),
            "--email",
            "s@mons.example",
            "--name",
            "crash test",
        )
        == 0
    )
    token = capsys.readouterr().out.strip()
    city = CityProcess(data, port)
    city.start()
    try:
        await city.wait_healthy()
        # 50 accounts follow the city (accepted at once: public followers)
        inbox = f"{city_url}/ap/city/inbox"
        async with aiohttp.ClientSession() as http:
            for name in receivers.inboxes:
                follow = {
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": f"{receivers.actor_uri(name)}#follow",
                    "type": "Follow",
                    "actor": receivers.actor_uri(name),
                    "object": f"{city_url}/ap/city",
                }
                body = json.dumps(follow).encode()
                headers = {"Content-Type": "application/activity+json"}
                headers.update(
                    sign_cavage(
                        "POST",
                        inbox,
                        {},
                        body,
                        f"{receivers.actor_uri(name)}#main-key",
                        receivers.key,
                    )
                )
                async with http.post(inbox, data=body, headers=headers) as response:
                    assert response.status == 202, await response.text()

            # Every follow is processed after its 202: wait until all 50 are accepted
            await asyncio.wait_for(receivers.all_accepted.wait(), 180)

            # The city announces; the receivers answer ten deliveries, then hold the rest
            receivers.hold_after = DELIVERED_BEFORE_KILL
            async with http.post(
                f"{city_url}/api/v1/announcements",
                json={
                    "title": "Storm warning",
                    "body": "Stay inside tonight.",
                    "all_neighbourhoods": True,
                },
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                assert response.status == 201, await response.text()
            await asyncio.wait_for(receivers.held.wait(), 180)

        # Mid-fan-out: SIGKILL
        city.kill()
        assert sum(receivers.creates_per_inbox()) == DELIVERED_BEFORE_KILL
        receivers.hold_after = None
        receivers.release.set()

        # Restart: the queue survived, the rest goes out
        city.start()
        await city.wait_healthy()
        await asyncio.wait_for(receivers.complete.wait(), 180)
        assert receivers.creates_per_inbox() == [1] * FOLLOWERS
        assert receivers.raw_creates >= FOLLOWERS
    finally:
        city.stop()
        await receivers.close()
        if city.log_path.exists():
            print(city.log_path.read_text(errors="replace")[-8000:])
        print("creates per inbox:", receivers.creates_per_inbox(), "raw:", receivers.raw_creates)
