"""The "To which neighbourhoods" part every city form shares (announcements, events, surveys,
calls for volunteers, budgets): the choices it shows, and reading what was ticked."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from node.api.app_keys import CITY_BROADCAST, REGISTER
from node.api.rendering import Form


async def target_choices(request: web.Request, form: Form) -> dict[str, Any]:
    """Template context for the targets fieldset: local neighbourhoods, neighbourhoods of
    other nodes that follow the city, and the boxes to show ticked (kept on a failed form)."""
    return {
        "neighbourhoods": await request.app[REGISTER].list_neighbourhoods(),
        "remote_neighbourhoods": await request.app[CITY_BROADCAST].remote_neighbourhoods(),
        "checked": set(form.values.get("targets", "").split()),
    }


async def form_with_targets(request: web.Request) -> tuple[dict[str, str], list[str]]:
    """A city form with neighbourhood checkboxes named "target": its other fields, plus the
    ticked targets joined as one "targets" value (so a form sent back re-ticks them), and the
    ticked targets themselves."""
    data = await request.post()
    values = {k: v for k, v in data.items() if isinstance(v, str) and k != "target"}
    targets = [v for v in data.getall("target", []) if isinstance(v, str)]
    values["targets"] = " ".join(targets)
    return values, targets
