"""Amounts typed into budget forms (staff: amount and costs; residents: allocations), as
people in Belgium write them: whole euros, grouped thousands, no cents read as euros."""

from __future__ import annotations

import pytest

from node.services.budgets import whole_euros


@pytest.mark.parametrize(
    ("typed", "euros"),
    [
        ("50000", 50_000),
        ("50 000", 50_000),
        ("50\u202f000 €", 50_000),  # a narrow no-break space, as French number formats write
        ("50.000", 50_000),
        ("50,000", 50_000),
        ("50'000", 50_000),
        ("1.234.567", 1_234_567),
        ("6000,00", 6_000),
        ("6 000.00", 6_000),
        ("50.000,00", 50_000),
    ],
)
def test_whole_euros_as_typed(typed, euros):
    assert whole_euros(typed) == euros


@pytest.mark.parametrize(
    "typed", ["50,5", "10.5", "6000,50", "1.000,5", "1.23", "12.34.567", "5 00", "lots", "", "٣٣"]
)
def test_cents_and_odd_groupings_are_not_amounts(typed):
    # "50,5" used to be read as 505 €, and "6000,50" as 600,050 €.
    assert whole_euros(typed) is None
