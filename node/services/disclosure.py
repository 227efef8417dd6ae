"""Small-cell suppression: the rule that keeps a reported count from pointing at a person.

A cell is a count of residents who gave one answer (an option, a scale value). A cell of 1 to
k-1 is hidden. Where the cells of a question must add up to its number of answers (a single
choice, a scale), one hidden cell could be worked out by subtraction, so the smallest other
non-zero cell is hidden with it. A question answered by fewer than k residents shows no cell
at all. Zero is shown: "nobody chose this" names nobody.
"""

from __future__ import annotations


def suppress(counts: list[int], answered: int, k: int, adds_up: bool) -> list[int | None]:
    """The cells as they may be reported: None where hidden."""
    if answered < k:
        return [None] * len(counts)
    shown: list[int | None] = [None if 0 < c < k else c for c in counts]
    hidden = [i for i, c in enumerate(shown) if c is None]
    if adds_up and len(hidden) == 1:
        others = [(c, i) for i, c in enumerate(counts) if i not in hidden and c > 0]
        if others:
            shown[min(others)[1]] = None
    return shown
