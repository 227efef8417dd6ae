"""Every JSON API operation of the node, gathered from the area modules that declare them."""

from __future__ import annotations

from node.api import (
    api_budgets,
    api_city,
    api_city_events,
    api_community,
    api_initiatives,
    api_moderation,
    api_posts,
    api_statistics,
    api_surveys,
    api_volunteer_calls,
    json_api,
)
from node.api.operations import Operation

ALL_OPERATIONS: tuple[Operation, ...] = (
    json_api.OPERATIONS
    + api_posts.OPERATIONS
    + api_community.OPERATIONS
    + api_moderation.OPERATIONS
    + api_city.OPERATIONS
    + api_surveys.OPERATIONS
    + api_city_events.OPERATIONS
    + api_volunteer_calls.OPERATIONS
    + api_initiatives.OPERATIONS
    + api_budgets.OPERATIONS
    + api_statistics.OPERATIONS
)
