"""Rounds of seeds: when every plan has the same number of runs."""

from __future__ import annotations

import pytest

from experiments.ranking.rounds import RoundTracker, unchanged_since


def test_a_round_is_complete_when_all_its_runs_and_those_before_are_in() -> None:
    rounds = RoundTracker(runs_per_round=3, rounds=2)
    assert not rounds.record(0) and not rounds.record(0)
    # A run of the second round finishing before the first round is whole completes nothing.
    assert not rounds.record(1) and rounds.complete == 0
    assert rounds.record(0) and rounds.complete == 1
    assert not rounds.record(1)
    assert rounds.record(1) and rounds.complete == 2


def test_a_late_run_can_complete_several_rounds_at_once() -> None:
    rounds = RoundTracker(runs_per_round=1, rounds=3)
    assert not rounds.record(2) and not rounds.record(1)
    assert rounds.record(0) and rounds.complete == 3


def test_impossible_counts_are_refused() -> None:
    rounds = RoundTracker(runs_per_round=1, rounds=2)
    rounds.record(0)
    with pytest.raises(ValueError, match="already has all 1 runs"):
        rounds.record(0)
    with pytest.raises(ValueError, match=r"round 2 is not in 0\.\.1"):
        rounds.record(2)
    with pytest.raises(ValueError, match="at least one run per round"):
        RoundTracker(runs_per_round=0, rounds=2)


def test_the_order_is_unchanged_since_the_first_round_that_has_the_last_order() -> None:
    history = [{"seeds": 1, "order": ["a", "b"]}, {"seeds": 2, "order": ["b", "a"]},
               {"seeds": 3, "order": ["a", "b"]}, {"seeds": 4, "order": ["a", "b"]}]  # fmt: skip
    assert unchanged_since(history) == 3  # not 1: the order changed in between
    assert unchanged_since(history[:2]) == 2
    assert unchanged_since([{"seeds": 1, "order": ["a"]}, {"seeds": 2, "order": ["a"]}]) == 1
    assert unchanged_since([]) is None
