"""The corridor experiments replayed: everyone gets in, and speeds stay near the measured ones."""

from __future__ import annotations

import pytest

from experiments.corridor_validation import (
    CORRIDOR,
    campaign_free_speeds,
    series_points,
    validate,
)
from experiments.measured_diagrams import speed_band
from simulator import CollisionFreeSpeedModel

pytestmark = pytest.mark.skipif(not CORRIDOR.exists(), reason="shared/validation is missing")


@pytest.mark.slow
def test_replayed_corridor_runs() -> None:
    for point in validate(("uo-050-180-180", "uo-180-180-180")):
        assert point.entered == point.persons, point
        # Today's accuracy (docs/validation/corridor_zhang2011.md): within 20 % of the measured
        # speed and 30 % of the measured density in the steady state. A regression fails here.
        assert abs(point.simulated_speed / point.measured_speed - 1) <= 0.2, point
        assert abs(point.simulated_density / point.measured_density - 1) <= 0.3, point


@pytest.mark.slow
def test_the_moderate_density_run_lies_in_the_measured_spread_because_people_pass() -> None:
    mean, sd = campaign_free_speeds()
    assert 1.3 < mean < 1.7 and 0.1 < sd < 0.35  # students in a laboratory corridor
    run = ("uo-100-180-180",)
    measured = series_points()
    nobody_passes = CollisionFreeSpeedModel(overtaking_angle_deg=1e-9)
    # docs/validation/corridor_zhang2011.md: with Weidmann's speeds -16 %, the campaign's 0 %;
    # with Weidmann's and nobody passing, -26 %, below the spread (0.79-1.13 at 1.59/m²).
    for point in (*validate(run), *validate(run, free_speeds=(mean, sd))):
        # The validation's criterion: the steady state lies inside the spread of the measured
        # points of the 1.8 m runs at its density, and so do most of its frames.
        low, high, n = speed_band(measured, point.simulated_density)
        assert n > 100 and low <= point.simulated_speed <= high, (low, high, point)
        assert point.simulated_frames_inside > 0.6, point
    (stuck_behind,) = validate(run, parameters=nobody_passes)
    assert stuck_behind.simulated_speed / stuck_behind.measured_speed - 1 < -0.2, stuck_behind
