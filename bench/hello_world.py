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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--no-access-log", action="store_true", help="the bare baseline")
    args = parser.parse_args()
    if not args.no_access_log:
        # What node/__main__.py does before web.run_app (the node's default level is INFO).
        logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = hello_app()
    access_log = None if args.no_access_log else logging.getLogger("aiohttp.access")
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=access_log)


if __name__ == "__main__":
    main()
