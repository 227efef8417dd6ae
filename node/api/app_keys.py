"""Typed keys for what the app factory shares with handlers (no string keys)."""

from __future__ import annotations

from aiohttp import web

from node.api.metrics import Metrics
from node.config import Config
from node.federation.runtime import Federation
from node.i18n import Catalogs, Translator
from node.models import User
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

CONFIG = web.AppKey("config", Config)
DATABASE = web.AppKey("database", Database)
ACCOUNTS = web.AppKey("accounts", Accounts)
REGISTER = web.AppKey("register", Register)
CATALOGS = web.AppKey("catalogs", Catalogs)
METRICS = web.AppKey("metrics", Metrics)
SCHEMAS = web.AppKey("schemas", SchemaRegistry)
POSTS = web.AppKey("posts", Posts)
MESSAGES = web.AppKey("messages", Messages)
DIRECTORY = web.AppKey("directory", Directory)
HELPERS = web.AppKey("helpers", HelpersRegistry)
NOTIFICATIONS = web.AppKey("notifications", Notifications)
MODERATION = web.AppKey("moderation", Moderation)
PRIVACY = web.AppKey("privacy", Privacy)
FEDERATION = web.AppKey("federation", Federation)
ANNOUNCEMENTS = web.AppKey("announcements", Announcements)
PEERING = web.AppKey("peering", Peering)
CITY_BROADCAST = web.AppKey("city_broadcast", CityBroadcast)
REPORTING = web.AppKey("reporting", Reporting)
SURVEYS = web.AppKey("surveys", Surveys)
CITY_EVENTS = web.AppKey("city_events", CityEvents)
VOLUNTEER_CALLS = web.AppKey("volunteer_calls", VolunteerCalls)
INITIATIVES = web.AppKey("initiatives", Initiatives)
BUDGETS = web.AppKey("budgets", Budgets)
STATISTICS = web.AppKey("statistics", Statistics)
TRACE_CONFIGS = web.AppKey("trace_configs", list)

# Per-request values set by middlewares, read by handlers.
USER_KEY = web.RequestKey("user", User | None)  # type: ignore[arg-type]
TRANSLATOR_KEY = web.RequestKey("translator", Translator)
CSRF_KEY = web.RequestKey("csrf", str)
COOKIES_KEY = web.RequestKey("cookies", dict)  # node.api.cookies: parsed once per request
