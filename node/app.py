"""The app factory: one function wires a node together from its configuration."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from node.api.activitypub import activitypub_only_middleware
from node.api.app_keys import (
    ACCOUNTS,
    ANNOUNCEMENTS,
    BUDGETS,
    CATALOGS,
    CITY_BROADCAST,
    CITY_EVENTS,
    CONFIG,
    DATABASE,
    DIRECTORY,
    FEDERATION,
    HELPERS,
    INITIATIVES,
    MESSAGES,
    METRICS,
    MODERATION,
    NOTIFICATIONS,
    PEERING,
    POSTS,
    PRIVACY,
    REGISTER,
    REPORTING,
    SCHEMAS,
    STATISTICS,
    SURVEYS,
    TRACE_CONFIGS,
    VOLUNTEER_CALLS,
)
from node.api.metrics import Metrics
from node.api.middlewares import (
    access_middleware,
    csrf_middleware,
    error_middleware,
    identity_middleware,
    metrics_middleware,
    security_headers_middleware,
)
from node.api.rendering import setup_templates
from node.api.routes import setup_routes
from node.bootstrap import migrate_database
from node.config import Config
from node.federation.keys import load_keys
from node.federation.runtime import Federation
from node.i18n import load_catalogs
from node.schema_registry import SchemaRegistry
from node.services.accounts import Accounts
from node.services.announcements import Announcements
from node.services.budgets import Budgets
from node.services.city_broadcast import CityBroadcast
from node.services.city_events import CityEvents
from node.services.directory import Directory
from node.services.helpers_registry import HelpersRegistry
from node.services.initiatives import Initiatives
from node.services.messages import Messages
from node.services.moderation import Moderation
from node.services.notifications import Notifications
from node.services.peering import Peering
from node.services.posts import Posts
from node.services.privacy import Privacy
from node.services.register import Register
from node.services.reporting import Reporting
from node.services.statistics import Statistics
from node.services.surveys import Surveys
from node.services.volunteer_calls import VolunteerCalls
from node.storage.database import Database


def create_app(
    config: Config, trace_configs: list[aiohttp.TraceConfig] | None = None
) -> web.Application:
    """A complete node. Nothing global: several nodes can run in one process.

    `trace_configs` let tests watch every byte the node's HTTP client sends."""
    app = web.Application(
        client_max_size=int(config.server.max_upload_mb * 1024 * 1024),
        middlewares=[
            # Outermost, so that it counts the status the client got, error pages included.
            metrics_middleware,
            security_headers_middleware,
            error_middleware,
            activitypub_only_middleware,
            identity_middleware,
            access_middleware,
            csrf_middleware,
        ],
    )
    app[CONFIG] = config
    app[METRICS] = Metrics()
    app[CATALOGS] = load_catalogs()
    app[SCHEMAS] = SchemaRegistry()
    setup_templates(app)
    setup_routes(app)
    app[TRACE_CONFIGS] = trace_configs or []
    app.cleanup_ctx.append(_database)
    return app


async def _database(app: web.Application) -> AsyncIterator[None]:
    config = app[CONFIG]
    migrate_database(config.database_path)
    db = await Database.open(
        config.database_path, config.database.busy_timeout_ms, config.database.readers
    )
    app[DATABASE] = db
    app[METRICS].watch_database(db)
    app[ACCOUNTS] = Accounts(db, config.security)
    app[REGISTER] = Register(db, config.base_url, config.node.name)
    app[POSTS] = Posts(db, config)
    app[MESSAGES] = Messages(db, config)
    app[DIRECTORY] = Directory(db, config)
    app[HELPERS] = HelpersRegistry(db, config)
    app[NOTIFICATIONS] = Notifications(db, config)
    feed_changed = app[POSTS].invalidate_neighbourhood
    app[MODERATION] = Moderation(db, config, feed_changed=feed_changed)
    app[PRIVACY] = Privacy(db, config, feed_changed=feed_changed)
    app[FEDERATION] = Federation(
        config, db, load_keys(config.keys_dir), app[SCHEMAS], app[TRACE_CONFIGS]
    )
    app[CITY_BROADCAST] = CityBroadcast(db, config, app[FEDERATION])
    app[ANNOUNCEMENTS] = Announcements(db, config, app[FEDERATION], app[CITY_BROADCAST])
    app[PEERING] = Peering(db, app[FEDERATION])
    _city_participation(app, db, config)
    await app[FEDERATION].start()
    await app[NOTIFICATIONS].start()
    app[REPORTING].start()
    yield
    await app[REPORTING].stop()
    await app[NOTIFICATIONS].stop()
    await app[FEDERATION].stop()
    await db.close()


def _city_participation(app: web.Application, db: Database, config: Config) -> None:
    """The city dashboard's features, and the reporting that brings their counts back."""
    federation = app[FEDERATION]
    broadcast = app[CITY_BROADCAST]
    reporting = Reporting(db, config, federation)
    federation.add_settle_hook(reporting.drain)
    federation.processor.on_city_message(reporting.wake)
    app[REPORTING] = reporting
    parts = (broadcast, reporting, federation)
    app[SURVEYS] = Surveys(db, config, *parts)
    app[CITY_EVENTS] = CityEvents(db, config, *parts)
    app[VOLUNTEER_CALLS] = VolunteerCalls(db, config, *parts)
    app[INITIATIVES] = Initiatives(db, config, *parts)
    app[BUDGETS] = Budgets(db, config, *parts)
    app[STATISTICS] = Statistics(db, config, *parts)
