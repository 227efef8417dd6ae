"""Every JSON API operation of the node, gathered from the area modules that declare them."""

from __future__ import annotations

from node.api import api_city, api_community, api_moderation, api_posts, json_api
from node.api.operations import Operation

ALL_OPERATIONS: tuple[Operation, ...] = (
    json_api.OPERATIONS
    + api_posts.OPERATIONS
    + api_community.OPERATIONS
    + api_moderation.OPERATIONS
    + api_city.OPERATIONS
)
