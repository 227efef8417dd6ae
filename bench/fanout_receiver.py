"""The receivers of the fan-out benchmark, in a process of their own.

One server per destination, each on its own loopback address (127.1.x.y, same port), as
10,000 municipalities would each be their own host. Every POST to /ap/inbox is checked with
the project's own code: the HTTP signature (parse_signature: covered components, clock,
Content-Digest of the body; verify_parsed: Ed25519) against the city's key, and the
`eddsa-jcs-2022` proof. The proof is over the same bytes for every destination, so it is
verified once per distinct body (each real receiver would verify it once for itself; here one
process stands for all of them and must not be the bottleneck). A valid delivery gets 202;
anything else 401, and counts as a failure. Bodies over the 1 MiB a Quartier inbox accepts
are taken, and counted ("oversize").

A control server on 127.0.0.1 answers `POST /expect?count=N` (reset, then wait for N hosts)
and `GET /wait?timeout=S` (returns when N distinct hosts have a valid delivery, or at the
timeout): {"hosts", "deliveries", "failures", "last_at" (time.monotonic(), the same clock in
every process of the machine), "bytes", "oversize"}.

    .venv/bin/python bench/fanout_receiver.py --hosts 10000 --port P --control-port C --keys DIR
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import logging
import sys
import time
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from node.federation.http_signatures import SignatureError, parse_signature, verify_parsed
from node.federation.integrity_proofs import ProofError, verify_document
from node.federation.keys import load_keys

log = logging.getLogger("fanout-receiver")
# What a Quartier inbox accepts (federation.max_document_kb = 1024): these receivers take
# bigger bodies, so the fan-out can be timed, but count those a real node would refuse (413).
QUARTIER_INBOX_LIMIT = 1024 * 1024


def address(n: int) -> str:
    """The loopback address of destination n (0-based): 127.1.0.1, 127.1.0.2, ..."""
    return f"127.1.{n // 250}.{n % 250 + 1}"


class Receivers:
    def __init__(self, public_key) -> None:
        self._key = public_key
        self._proofs: dict[bytes, bool] = {}
        self.reset(0)

    def reset(self, expected: int) -> None:
        self.expected = expected
        self.hosts: set[str] = set()
        self.deliveries = 0
        self.failures = 0
        self.bytes = 0
        self.oversize = 0
        self.last_at = 0.0
        self.reasons: dict[str, int] = {}
        self.done = asyncio.Event()

    def _fail(self, reason: str) -> web.Response:
        self.failures += 1
        self.reasons[reason[:80]] = self.reasons.get(reason[:80], 0) + 1
        return web.Response(status=401, text=reason)

    async def inbox(self, request: web.Request) -> web.Response:
        body = await request.read()
        url = f"http://{request.host}{request.path_qs}"
        try:
            verify_parsed(parse_signature("POST", url, request.headers, body), self._key)
        except SignatureError as exc:
            return self._fail(exc.reason)
        digest = hashlib.sha256(body).digest()
        if digest not in self._proofs:
            try:
                verify_document(json.loads(body), self._key)
                self._proofs[digest] = True
            except (ProofError, ValueError) as exc:
                self._proofs[digest] = False
                log.warning("proof: %s", exc)
        if not self._proofs[digest]:
            return self._fail("proof does not verify")
        self.deliveries += 1
        self.bytes += len(body)
        self.oversize += len(body) > QUARTIER_INBOX_LIMIT
        if request.host not in self.hosts:
            self.hosts.add(request.host)
            self.last_at = time.monotonic()
            if len(self.hosts) >= self.expected:
                self.done.set()
        response = web.Response(status=202, text='{"status":"accepted"}')
        # Each host gets one delivery: keeping 10,000 idle connections (and what each holds)
        # in this one process would measure the simulation, not the city.
        response.force_close()
        return response

    def state(self) -> dict:
        return {
            "hosts": len(self.hosts),
            "deliveries": self.deliveries,
            "failures": self.failures,
            "reasons": self.reasons,
            "last_at": self.last_at,
            "bytes": self.bytes,
            "oversize": self.oversize,
        }

    async def expect(self, request: web.Request) -> web.Response:
        self.reset(int(request.query["count"]))
        return web.json_response(self.state())

    async def wait(self, request: web.Request) -> web.Response:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), float(request.query.get("timeout", "60")))
        return web.json_response(self.state())


async def serve(args: argparse.Namespace) -> None:
    receivers = Receivers(load_keys(args.keys).ed25519.public_key())
    inboxes = web.Application(client_max_size=64 * 2**20)
    inboxes.router.add_post("/ap/inbox", receivers.inbox)
    inboxes.router.add_post("/ap/n/{slug}/inbox", receivers.inbox)
    runner = web.AppRunner(inboxes, access_log=None)
    await runner.setup()
    for n in range(args.hosts):
        await web.TCPSite(runner, address(n), args.port, backlog=128).start()
    control = web.Application()
    control.router.add_post("/expect", receivers.expect)
    control.router.add_get("/wait", receivers.wait)
    control_runner = web.AppRunner(control, access_log=None)
    await control_runner.setup()
    await web.TCPSite(control_runner, "127.0.0.1", args.control_port).start()
    print(f"ready: {args.hosts} receivers on port {args.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await control_runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control-port", type=int, required=True)
    parser.add_argument("--keys", type=Path, required=True, help="the city's keys directory")
    args = parser.parse_args()
    logging.basicConfig(level="WARNING")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
