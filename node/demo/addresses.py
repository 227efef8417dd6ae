"""The generated address register: streets for each neighbourhood, and its households'
addresses as the municipality's CSV export would list them (see node/services/register.py)."""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Sequence

from node.demo import vocabulary as words
from node.demo.topology import MUNICIPALITY, NeighbourhoodPlan

HOUSEHOLDS_PER_STREET = 110
# A Walloon municipality's export names its columns in French; the import knows them.
COLUMNS = ("rue", "numero", "boite", "code_postal", "commune", "quartier")


def street_names(
    neighbourhoods: Sequence[NeighbourhoodPlan], rng: random.Random
) -> dict[str, list[str]]:
    """Street names for each neighbourhood (by slug), none used twice on the node: two
    neighbourhoods can share a postcode, and an address is street, number, box and postcode."""
    kinds = sorted(set(words.STREET_KINDS))
    every = [f"{kind} {name}" for kind in kinds for name in words.STREET_NAMES]
    rng.shuffle(every)
    total = sum(n.households for n in neighbourhoods)
    per_street = max(HOUSEHOLDS_PER_STREET, math.ceil(total / len(every)))
    names: dict[str, list[str]] = {}
    for n in neighbourhoods:
        count = max(2, math.ceil(n.households / per_street))
        names[n.slug], every = every[:count], every[count:]
    return names


def addresses(plan: NeighbourhoodPlan, streets: list[str], rng: random.Random) -> list[list[str]]:
    """`plan.households` addresses along the streets; flats (boxes) are commoner in town."""
    flats = 0.35 if plan.postcode == "7000" else 0.12
    numbers = dict.fromkeys(streets, 0)
    rows: list[list[str]] = []
    while len(rows) < plan.households:
        street = rng.choice(streets)
        numbers[street] += rng.choice((1, 2, 2, 2))
        boxes = rng.randint(2, 6) if rng.random() < flats else 0
        for box in [str(b) for b in range(1, boxes + 1)] or [""]:
            if len(rows) < plan.households:
                row = [street, str(numbers[street]), box, plan.postcode, MUNICIPALITY]
                rows.append([*row, plan.name])
    return rows


def register_csv(rows: Sequence[list[str]]) -> bytes:
    """The rows as a register file, with its header row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue().encode()


def in_a_sentence(street: str) -> str:
    """ "Rue des Tilleuls" as written in running French text: "rue des Tilleuls"."""
    kind, _, name = street.partition(" ")
    return f"{kind.lower()} {name}"
