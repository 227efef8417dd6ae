"""The baseline server: an aiohttp hello-world, run with `web.run_app` and the same logging
set-up as `quartier serve` (so it writes the same access log line per request).

    .venv/bin/python bench/hello_world.py --port 8099 [--no-access-log]
"""

from __future__ import annotations

import argparse
import logging

from aiohttp import web


async def hello(request: web.Request) -> web.Response:
    return web.Response(text="Hello, world")


def hello_app() -> web.Application:
    """The baseline application, also served in-process by bench/feed.py and survey_results.py."""
    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/healthz", hello)
    return app


def serve_like_the_node(app: web.Application, port: int, access_log: bool = True) -> None:
    """`web.run_app` on 127.0.0.1 with the logging set-up `quartier serve` has: a baseline
    served this way pays for the same access-log line a request as the node."""
    if access_log:
        # What node/__main__.py does before web.run_app (the node's default level is INFO).
        logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logger = logging.getLogger("aiohttp.access") if access_log else None
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=logger)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-access-log", action="store_true", help="the bare baseline")
    args = parser.parse_args()
    serve_like_the_node(hello_app(), args.port, access_log=not args.no_access_log)


if __name__ == "__main__":
    main()
