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
import logging
import os

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

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
    args = parser.parse_args()
    # What node/__main__.py does before web.run_app (the node's default level is INFO).
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    access_log = logging.getLogger("aiohttp.access")
    web.run_app(ceiling_app(), host="127.0.0.1", port=args.port, print=None, access_log=access_log)


if __name__ == "__main__":
    main()
