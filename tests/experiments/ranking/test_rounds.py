"""Rounds of seeds: when every plan has the same number of runs, and since when the order held."""

from __future__ import annotations

import pytest

from experiments.ranking.rounds import complete_rounds, unchanged_since


def test_a_round_is_complete_when_all_its_runs_and_those_before_are_in() -> None:
    def whole(finished: set[int]) -> int:
        return complete_rounds(finished, runs_per_round=3, rounds=2)

    assert whole(set()) == 0 and whole({0, 1}) == 0
    # A run of the second round finishing before the first round is whole completes nothing.
    assert whole({0, 1, 3}) == 0
    assert whole({0, 1, 2, 3}) == 1
    assert whole({0, 1, 2, 3, 4, 5}) == 2
    # A late run can complete several rounds at once.
    assert complete_rounds({2, 1}, runs_per_round=1, rounds=3) == 0
    assert complete_rounds({2, 1, 0}, runs_per_round=1, rounds=3) == 3
    with pytest.raises(ValueError, match="at least one run"):
        complete_rounds({0}, runs_per_round=0, rounds=2)


def test_the_order_is_unchanged_since_the_first_round_that_has_the_last_order() -> None:
    history = [{"seeds": 1, "order": ["a", "b"]}, {"seeds": 2, "order": ["b", "a"]},
               {"seeds": 3, "order": ["a", "b"]}, {"seeds": 4, "order": ["a", "b"]}]  # fmt: skip
    assert unchanged_since(history) == 3  # not 1: the order changed in between
    assert unchanged_since(history[:2]) == 2
    assert unchanged_since([{"seeds": 1, "order": ["a"]}, {"seeds": 2, "order": ["a"]}]) == 1
    assert unchanged_since([]) is None
