"""Rounds of seeds: round k of an ensemble holds seed k of every plan on the short list.

The members run round by round, so that after each complete round every plan has the same
number of runs and a provisional ranking can be published; the ranking firms up as seeds come
in, and a commander has a first answer after the first round instead of after the last.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RoundTracker:
    """Counts finished runs per round; `complete` is how many leading rounds are whole."""

    runs_per_round: int
    rounds: int
    complete: int = field(default=0, init=False)
    _finished: list[int] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        if self.runs_per_round < 1 or self.rounds < 1:
            raise ValueError("a round tracker needs at least one run per round and one round")
        self._finished = [0] * self.rounds

    def record(self, round_index: int) -> bool:
        """One run of `round_index` finished; True when that completes one or more further
        leading rounds (a later round can finish before an earlier one)."""
        if not 0 <= round_index < self.rounds:
            raise ValueError(f"round {round_index} is not in 0..{self.rounds - 1}")
        if self._finished[round_index] == self.runs_per_round:
            raise ValueError(f"round {round_index} already has all {self.runs_per_round} runs")
        self._finished[round_index] += 1
        before = self.complete
        while self.complete < self.rounds and self._finished[self.complete] == self.runs_per_round:
            self.complete += 1
        return self.complete > before


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
