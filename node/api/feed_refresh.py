"""Dropping a neighbourhood's cached feed after moderation or an account deletion changed it."""

from __future__ import annotations

import inspect

from aiohttp import web

from node.api.app_keys import POSTS


async def refresh_feed(app: web.Application, neighbourhood_id: int | None) -> None:
    """Ask the posts area to forget its cached feed, if it keeps one."""
    if neighbourhood_id is None:
        return
    invalidate = getattr(app.get(POSTS), "invalidate_neighbourhood", None)
    if invalidate is None:
        return
    result = invalidate(neighbourhood_id)
    if inspect.isawaitable(result):
        await result
