"""Every route of the node in one table: a reader sees the whole surface at a glance."""

from __future__ import annotations

import aiohttp_jinja2
from aiohttp import web

from node.api import (
    activitypub,
    openapi,
    system,
    web_account,
    web_admin,
    web_budgets,
    web_city,
    web_city_events,
    web_community,
    web_federation,
    web_initiatives,
    web_moderation,
    web_posts,
    web_privacy,
    web_statistics,
    web_surveys,
    web_volunteer_calls,
)
from node.api.api_index import ALL_OPERATIONS
from node.api.params import ID
from node.api.rendering import STATIC_DIR

PAGES = (
    ("GET", "/", web_account.home_get),
    ("GET", "/login", web_account.login_get),
    ("POST", "/login", web_account.login_post),
    ("POST", "/logout", web_account.logout_post),
    ("GET", "/signup", web_account.signup_get),
    ("POST", "/signup", web_account.signup_post),
    ("GET", "/join", web_account.join_get),
    ("POST", "/join", web_account.join_post),
    ("GET", "/setup/{token}", web_account.setup_get),
    ("POST", "/setup/{token}", web_account.setup_post),
    ("GET", "/reset/{token}", web_account.reset_get),
    ("POST", "/reset/{token}", web_account.reset_post),
    ("POST", "/language", web_account.language_post),
    ("GET", "/account", web_account.account_get),
    ("GET", "/account/tokens", web_admin.tokens_get),
    ("POST", "/account/tokens", web_admin.tokens_post),
    ("POST", f"/account/tokens/{ID}/revoke", web_admin.token_revoke_post),
    ("GET", "/admin", web_admin.admin_index_get),
    ("GET", "/admin/neighbourhoods", web_admin.neighbourhoods_get),
    ("POST", "/admin/neighbourhoods", web_admin.neighbourhoods_post),
    ("GET", "/admin/addresses", web_admin.addresses_get),
    ("POST", "/admin/addresses", web_admin.addresses_post),
    ("GET", "/admin/households", web_admin.households_get),
    ("POST", f"/admin/households/{ID}/revoke", web_admin.household_revoke_post),
    ("POST", f"/admin/households/{ID}/reissue", web_admin.household_reissue_post),
    ("GET", "/admin/letters.pdf", web_admin.letters_get),
    ("GET", "/admin/users", web_admin.users_get),
    ("POST", "/admin/users", web_admin.users_post),
    ("POST", f"/admin/users/{ID}/reset-link", web_admin.user_reset_link_post),
    ("GET", "/healthz", system.healthz_get),
    ("GET", "/metrics", system.metrics_get),
    ("GET", "/api/v1/openapi.json", openapi.openapi_get),
)


# Each area of the product declares its own pages beside its handlers.
AREA_PAGES = (
    activitypub.ROUTES
    + web_posts.ROUTES
    + web_community.ROUTES
    + web_moderation.ROUTES
    + web_privacy.ROUTES
    + web_city.ROUTES
    + web_federation.ROUTES
    + web_surveys.ROUTES
    + web_city_events.ROUTES
    + web_volunteer_calls.ROUTES
    + web_initiatives.ROUTES
    + web_budgets.ROUTES
    + web_statistics.ROUTES
)


def setup_routes(app: web.Application) -> None:
    for method, path, handler in PAGES + AREA_PAGES:
        app.router.add_route(method, path, handler)
    for op in ALL_OPERATIONS:
        app.router.add_route(op.method, op.path.replace("{id}", ID), op.handler)
    app.router.add_static("/static", STATIC_DIR, name="static", append_version=True)
    # The versioned stylesheet address, hashed once: url_for re-reads and hashes the file on
    # every call, ~54 us of every page (bench/feed_load.py's profile).
    stylesheet = str(app.router["static"].url_for(filename="quartier.css"))
    aiohttp_jinja2.get_env(app).globals["stylesheet_url"] = stylesheet
    # Named in every page, or each browser asks for /favicon.ico and logs a 404.
    favicon = str(app.router["static"].url_for(filename="favicon.svg"))
    aiohttp_jinja2.get_env(app).globals["favicon_url"] = favicon
