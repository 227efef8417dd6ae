"""Small-cell suppression: the rule that keeps a reported count from pointing at a person.

A cell is a count of residents who gave one answer (an option, a scale value). A cell of 1 to
k-1 is hidden, and a question answered by fewer than k residents shows no cell at all.

Where the cells of a question must add up to its number of answers (a single choice, a
scale), what the hidden cells hold together can be worked out by subtraction, and from it,
often, each hidden cell: three hidden cells holding 3 answers are 1 each; two holding 8 when
k is 5 are 4 each. So in such a question, once a cell is hidden:
- every cell holding the smallest count of k or more is hidden too: then a hidden cell may
  be k or more, and, as ties go together, by more than one value;
- zeros are hidden too: then a hidden cell may be 0.
tests/services/test_disclosure.py checks every question of up to five options and fifteen
answers: no hidden cell of 1 to k-1 can be told from the rest (k from 3 to 5).
Otherwise zero is shown: "nobody chose this" names nobody.
"""

from __future__ import annotations


def suppress(counts: list[int], answered: int, k: int, adds_up: bool) -> list[int | None]:
    """The cells as they may be reported: None where hidden."""
    if answered < k:
        return [None] * len(counts)
    shown: list[int | None] = [None if 0 < c < k else c for c in counts]
    if not adds_up or None not in shown:
        return shown
    large = [c for c in counts if c >= k]
    smallest_large = min(large) if large else None
    return [
        None if c == 0 or c == smallest_large else s for c, s in zip(counts, shown, strict=True)
    ]
