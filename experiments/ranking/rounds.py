"""Rounds of seeds: round k of an ensemble holds seed k of every plan on the short list.

The members run round by round, so that after each complete round every plan has the same
number of runs and a provisional ranking can be published; the ranking firms up as seeds come
in, and a commander has a first answer after the first round instead of after the last.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


def complete_rounds(finished: Collection[int], *, runs_per_round: int, rounds: int) -> int:
    """How many leading rounds are whole, given the indices of the finished runs (run k belongs
    to round k // runs_per_round; a later round can finish before an earlier one)."""
    if runs_per_round < 1:
        raise ValueError("a round needs at least one run")
    whole = 0
    while whole < rounds and all(
        whole * runs_per_round + k in finished for k in range(runs_per_round)
    ):
        whole += 1
    return whole


def unchanged_since(history: list[dict[str, Any]]) -> int | None:
    """The number of seeds per plan after which the order (`order` of each round in `history`,
    oldest first) has stayed what it is in the last round; None without rounds."""
    if not history:
        return None
    since = history[-1]["seeds"]
    for entry in reversed(history[:-1]):
        if entry["order"] != history[-1]["order"]:
            break
        since = entry["seeds"]
    return int(since)
