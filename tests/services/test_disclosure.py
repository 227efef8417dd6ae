"""Small-cell suppression, checked the way a curious reader of the city's results page would
attack it: knowing the rule, the cells shown and the number of answers, can they tell what a
hidden cell holds?"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

import pytest

from node.services.disclosure import suppress


def answer_counts(options: int, answers: int) -> Iterator[tuple[int, ...]]:
    """Every way `answers` answers can fall into `options` cells."""
    if options == 1:
        yield (answers,)
        return
    for first in range(answers + 1):
        for rest in answer_counts(options - 1, answers - first):
            yield (first, *rest)


@pytest.mark.parametrize("k", [3, 4, 5])
def test_no_small_hidden_cell_can_be_told_from_the_rest(k):
    """For single-choice questions of 2 to 5 options and up to 15 answers: group all the ways
    the answers could have fallen by what the results page would show; a hidden cell that held
    1 to k-1 residents must hold different values across its group."""
    pinned = []
    for options in range(2, 6):
        for answers in range(16):
            seen: dict[tuple, list[tuple[int, ...]]] = defaultdict(list)
            for counts in answer_counts(options, answers):
                seen[tuple(suppress(list(counts), answers, k, adds_up=True))].append(counts)
            for shown, candidates in seen.items():
                for i, cell in enumerate(shown):
                    possible = {counts[i] for counts in candidates}
                    if cell is None and len(possible) == 1 and 0 < candidates[0][i] < k:
                        pinned.append((shown, candidates[0]))
    assert pinned == []


def test_what_the_review_could_work_out_no_longer_shows():
    # Three cells of 1 beside two of 6: the hidden three held 3 answers, so 1 each.
    assert suppress([1, 1, 1, 6, 6], 15, 5, adds_up=True) == [None] * 5
    # Two cells of 4 among large ones: hidden holding 8 with k = 5, so 4 each. Now the
    # smallest large cell goes with them, and any zero.
    assert suppress([24, 4, 14, 4, 25, 0], 71, 5, adds_up=True) == [24, None, None, None, 25, None]


def test_what_stays_shown():
    # Nothing small: every cell, zeros included ("nobody chose this" names nobody).
    assert suppress([10, 0, 20], 30, 5, adds_up=True) == [10, 0, 20]
    # Cells that do not add up (several choices allowed): only the small ones hide.
    assert suppress([3, 0, 20, 20], 25, 5, adds_up=False) == [None, 0, 20, 20]
    # Fewer answers than k: no cell at all.
    assert suppress([2, 2], 4, 5, adds_up=True) == [None, None]
