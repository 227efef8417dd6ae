"""The app factory: one function wires a node together from its configuration."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from node.api.app_keys import (
    ACCOUNTS,
    CATALOGS,
    CONFIG,
    DATABASE,
    DIRECTORY,
    HELPERS,
    MESSAGES,
    METRICS,
    MODERATION,
    NOTIFICATIONS,
    POSTS,
    PRIVACY,
    REGISTER,
    SCHEMAS,
)
from node.api.i18n import load_catalogs
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
from node.schemas import SchemaRegistry
from node.services.accounts import Accounts
from node.services.directory import Directory
from node.services.helpers_registry import HelpersRegistry
from node.services.messages import Messages
from node.services.moderation import Moderation
from node.services.notifications import Notifications
from node.services.posts import Posts
from node.services.privacy import Privacy
from node.services.register import Register
from node.storage.database import Database


def create_app(config: Config) -> web.Application:
    """A complete node. Nothing global: several nodes can run in one process."""
    app = web.Application(
        client_max_size=int(config.server.max_upload_mb * 1024 * 1024),
        middlewares=[
            security_headers_middleware,
            error_middleware,
            metrics_middleware,
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
    app[MODERATION] = Moderation(db, config)
    app[PRIVACY] = Privacy(db, config)
    await app[NOTIFICATIONS].start()
    yield
    await app[NOTIFICATIONS].stop()
    await db.close()
