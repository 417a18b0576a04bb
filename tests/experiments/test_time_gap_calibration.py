"""The crowd time gap's choice from the calibration's RMS errors."""

from __future__ import annotations

from experiments.time_gap_calibration import choose


def test_the_smallest_error_wins_and_a_tie_goes_to_the_larger_gap() -> None:
    # The RMS errors measured on 2026-11-25: 0.32 s and 0.33 s within seed noise of each other.
    measured = {0.30: 0.082, 0.31: 0.077, 0.32: 0.0698, 0.33: 0.0704, 0.34: 0.077, 0.35: 0.087}
    assert choose(measured) == 0.33
    # Measured again after the turn-round rule changed (evening): 0.33 and 0.34 s tie.
    evening = {0.31: 0.072, 0.32: 0.072, 0.33: 0.064, 0.34: 0.067, 0.35: 0.073, 0.40: 0.133}
    assert choose(evening) == 0.34
    # With overtaking (2026-12-06): 0.33, 0.34 and 0.35 s within half a point.
    overtaking = {0.32: 0.077, 0.33: 0.067, 0.34: 0.071, 0.35: 0.067, 0.40: 0.120}
    assert choose(overtaking) == 0.35
    assert choose({0.30: 0.05, 0.35: 0.07, 0.40: 0.09}) == 0.30
