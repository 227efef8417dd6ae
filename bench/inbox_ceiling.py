"""The inbox's ceiling on aiohttp: a server that does the least any inbox must do per activity.

It reads the request body, makes one Ed25519 verification and answers 202, nothing else: no
parsing of the signature, no JSON, no schema, no storage. It runs like the node and the
hello-world (`web.run_app`, the node's logging set-up, so one access-log line a request).
bench/inbox.py loads it with the same wrk command and the same prepared requests as the node:
what it reaches is the most an aiohttp inbox that verifies each activity once can accept on
this machine, to set beside the floor (which has no HTTP at all).

    .venv/bin/python bench/inbox_ceiling.py --port 8099
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.hello_world import serve_like_the_node

# About the size of the RFC 9421 signature base the node verifies for one of these requests.
SIGNATURE_BASE_BYTES = 400


def ceiling_app() -> web.Application:
    key = Ed25519PrivateKey.generate()
    public_key = key.public_key()
    message = os.urandom(SIGNATURE_BASE_BYTES)
    signature = key.sign(message)

    async def inbox(request: web.Request) -> web.Response:
        await request.read()
        public_key.verify(signature, message)
        return web.Response(status=202)

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/ap/inbox", inbox)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    serve_like_the_node(ceiling_app(), parser.parse_args().port)


if __name__ == "__main__":
    main()
