"""Operational endpoints: health for load balancers, metrics for Prometheus."""

from __future__ import annotations

import logging

from aiohttp import web

from node.api.access import PUBLIC, access
from node.api.app_keys import DATABASE, METRICS
from node.storage import neighbourhoods as neighbourhoods_store

log = logging.getLogger(__name__)


@access(PUBLIC)
async def healthz_get(request: web.Request) -> web.Response:
    try:
        await request.app[DATABASE].read("healthz", neighbourhoods_store.count_neighbourhoods)
    except Exception:
        log.exception("health check: database unavailable")
        return web.json_response({"status": "error", "database": "unavailable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


@access(PUBLIC)
async def metrics_get(request: web.Request) -> web.Response:
    # Counts and latencies only: nothing personal is ever a label.
    return web.Response(
        body=request.app[METRICS].render(),
        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )
