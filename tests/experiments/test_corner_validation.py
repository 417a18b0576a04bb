"""The measured corner replayed: the analysis on known paths, and today's accuracy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.corner_validation import (
    CORNER,
    FPS,
    corner_distances,
    median_over_seeds,
    times_round,
    validate,
)


def test_corner_distance_and_time_round_on_known_paths() -> None:
    """Two paths with known answers. The first walks west along y = -0.5 to (-0.5, -0.5), then
    north: it meets the diagonal y = x there, 0.71 m from the inner corner. The second walks a
    straight line through (-0.8, -0.8), met between two frames (1.13 m). Times round: frames
    from x <= 3 to y >= 3, at 16 fps."""
    rows = []
    west_then_north = [(4 - 0.25 * k, -0.5) for k in range(19)]
    west_then_north += [(-0.5, -0.5 + 0.25 * k) for k in range(1, 19)]
    cutting = [(4 - 0.35 * k, -2 + 0.0875 * k) for k in range(20)]
    for person, path in ((1, west_then_north), (2, cutting)):
        rows += [{"id": person, "frame": f, "x": x, "y": y} for f, (x, y) in enumerate(path)]
    data = pd.DataFrame(rows)
    distances = corner_distances(data)
    assert distances[1] == pytest.approx(np.hypot(0.5, 0.5), abs=1e-9)
    assert distances[2] == pytest.approx(np.hypot(0.8, 0.8), abs=1e-9)
    times = times_round(data)
    # Person 1 is at x <= 3 from frame 4 on and at y >= 3 from frame 18 + 14 = 32.
    assert times[1] == pytest.approx((32 - 4) / FPS)
    assert 2 not in times.index  # never reaches y = 3


@pytest.mark.skipif(not CORNER.exists(), reason="shared/validation is missing")
@pytest.mark.slow
def test_replayed_corner_keeps_the_measured_time_round_and_the_flow() -> None:
    result = validate((0,))
    assert result.entered == [result.persons]
    measured = result.measured
    # The measured analysis itself: about 7 s round, people spread over the turn.
    assert 5.0 < measured.time_round_s.median() < 9.0
    assert measured.corner_distance_m.quantile(0.9) > 1.5
    # Today's accuracy (docs/validation/corner.md): the time round within 10 %, densities and
    # speeds in both legs within 25 %; a regression fails here.
    assert abs(median_over_seeds(result, "time") / measured.time_round_s.median() - 1) < 0.1
    for leg in ("before", "after"):
        density, speed = getattr(measured, leg)
        assert abs(median_over_seeds(result, f"{leg}_density") / density - 1) < 0.25, leg
        assert abs(median_over_seeds(result, f"{leg}_speed") / speed - 1) < 0.25, leg
