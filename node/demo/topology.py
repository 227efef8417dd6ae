"""The demo municipality: which node hosts which neighbourhood, and how big each one is.

Sizes follow the published figures the design brief quotes for Mons (95,000 inhabitants, 16
neighbourhoods; 5,774 messages and 29,640 reactions in six months; a survey answered by 23%
of the households signed up) and Mechelen (45.9% of help requests resolved). Everything is
multiplied by `scale`, with small floors so that a tiny demo still has a little of each.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from node.services.register import slugify

MUNICIPALITY = "Mons"
# 95,000 inhabitants at ~2.3 people per household (Belgium's average).
HOUSEHOLDS = 41_300
SIGNED_UP_SHARE = (0.10, 0.30)  # households signed up, drawn per neighbourhood
SECOND_RESIDENT_SHARE = 0.3  # signed-up households where a second person joined too
MONTHS_OF_HISTORY = 6
POSTS = 5_774  # Mons, six months
REACTIONS = 29_640  # Mons, six months
COMMENTS_PER_POST = 1.6  # not published: an assumption, about one answer in two posts more
HELP_REQUEST_SHARE = 0.15  # of posts: not published, an assumption
HELP_RESOLVED_SHARE = 0.459  # Mechelen
SURVEY_ANSWER_SHARE = 0.23  # Mons: 877 of 4,146 households
ANNOUNCEMENT_VIEW_SHARE = 0.3  # residents who open a given city message: an assumption
WORKSHOP_RSVP_SHARE = 0.03  # residents who answer the city's workshop: an assumption

MIN_HOUSEHOLDS = 12
MIN_SIGNED_UP = 4
MIN_POSTS = 6


@dataclass(frozen=True)
class NeighbourhoodPlan:
    name: str
    postcode: str
    households: int
    signed_up: int  # households with at least one resident
    posts: int

    @property
    def slug(self) -> str:
        return slugify(self.name)


@dataclass(frozen=True)
class NodePlan:
    key: str  # the node's directory under the demo's data directory
    name: str  # node.name, shown on its pages
    port_offset: int  # from --base-port
    city: bool
    neighbourhoods: tuple[NeighbourhoodPlan, ...]


# (name, postcode, share of the municipality's households in ‰): the city's own node
# hosts twelve neighbourhoods; four neighbourhood associations run nodes of their own.
_CITY_NEIGHBOURHOODS = (
    ("Centre-Ville", "7000", 258),
    ("Cuesmes", "7033", 107),
    ("Ghlin", "7011", 85),
    ("Hyon", "7020", 63),
    ("Nimy", "7020", 63),
    ("Flénu", "7012", 56),
    ("Saint-Symphorien", "7030", 36),
    ("Maisières", "7020", 27),
    ("Ciply", "7024", 19),
    ("Harmignies", "7022", 16),
    ("Villers-Saint-Ghislain", "7031", 13),
    ("Mesvin", "7022", 11),
)
_NEIGHBOURHOOD_NODES = (
    ("jemappes", "Jemappes en réseau", ("Jemappes", "7012", 170)),
    ("havre", "Havré village", ("Havré", "7021", 41)),
    ("obourg", "Obourg ensemble", ("Obourg", "7034", 28)),
    ("spiennes", "Spiennes", ("Spiennes", "7032", 7)),
)
# Neighbourhoods of the city's node that touch: their residents may share posts across.
ADJACENT = (
    ("Centre-Ville", "Hyon"),
    ("Centre-Ville", "Cuesmes"),
    ("Centre-Ville", "Nimy"),
    ("Nimy", "Maisières"),
    ("Nimy", "Ghlin"),
    ("Cuesmes", "Flénu"),
    ("Cuesmes", "Ciply"),
    ("Hyon", "Saint-Symphorien"),
    ("Hyon", "Mesvin"),
    ("Ciply", "Mesvin"),
    ("Mesvin", "Harmignies"),
    ("Harmignies", "Villers-Saint-Ghislain"),
)


def _neighbourhood(
    name: str, postcode: str, per_mille: int, scale: float, rng: random.Random
) -> NeighbourhoodPlan:
    households = max(MIN_HOUSEHOLDS, round(HOUSEHOLDS * per_mille / 1000 * scale))
    signed_up = max(MIN_SIGNED_UP, round(households * rng.uniform(*SIGNED_UP_SHARE)))
    return NeighbourhoodPlan(name, postcode, households, min(signed_up, households), 0)


def plan_municipality(scale: float, rng: random.Random) -> tuple[NodePlan, ...]:
    """The five nodes at this scale. Posts are shared out by signed-up households."""
    city = tuple(_neighbourhood(*n, scale, rng) for n in _CITY_NEIGHBOURHOODS)
    others = [(key, name, _neighbourhood(*n, scale, rng)) for key, name, n in _NEIGHBOURHOOD_NODES]
    everyone = [*city, *(n for _, _, n in others)]
    signed_up = sum(n.signed_up for n in everyone)

    def with_posts(n: NeighbourhoodPlan) -> NeighbourhoodPlan:
        posts = max(MIN_POSTS, round(POSTS * scale * n.signed_up / signed_up))
        return NeighbourhoodPlan(n.name, n.postcode, n.households, n.signed_up, posts)

    nodes = [NodePlan("city", MUNICIPALITY, 0, True, tuple(with_posts(n) for n in city))]
    for offset, (key, name, n) in enumerate(others, start=1):
        nodes.append(NodePlan(key, name, offset, False, (with_posts(n),)))
    return tuple(nodes)
