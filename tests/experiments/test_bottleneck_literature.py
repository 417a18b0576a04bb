"""Kretz 2006 and Müller 1981 bottleneck flows in assumed set-ups: transcription, geometry,
start, and one run."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import pdist
from shapely.geometry import Point

from experiments.bottleneck_literature import (
    WALL_M,
    SetUp,
    geometry,
    holding_depth_m,
    set_ups,
    simulated_flow,
    start_positions,
)


def test_transcribed_runs() -> None:
    rows = set_ups()
    kretz = [r for r in rows if r.source == "Kretz 2006"]
    mueller = [r for r in rows if r.source == "Müller 1981"]
    assert [r.opening_m for r in kretz] == [0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2]
    assert len(mueller) == 17
    narrowest = next(r for r in mueller if r.opening_m == 0.6)
    assert narrowest.published_per_s == pytest.approx(150 / 100.2)  # J = N / t
    assert all(r.opening_m <= r.room_width_m for r in rows)


@pytest.mark.parametrize("density", [2.5, 1.5])
def test_start_fills_the_holding_area_at_the_density(density: float) -> None:
    set_up = SetUp("Müller 1981", 2.6, 1.2, 150, 2.75, from_start=True)
    depth = holding_depth_m(set_up, density)
    area, exit_polygon, line = geometry(set_up, depth)
    spots = start_positions(set_up, depth, density, seed=0)
    assert spots.shape == (150, 2)
    assert all(area.contains(Point(x, y)) and x < depth for x, y in spots)
    assert pdist(spots).min() > 0.36  # no two bodies (radius 0.18 m) overlap
    # Persons in a 10 m stretch of the crowd, over its area (the width less 0.2 m each side).
    middle = (spots[:, 0].max() + spots[:, 0].min()) / 2
    stretch = np.abs(spots[:, 0] - middle) < 5.0
    assert stretch.sum() / (10.0 * (2.6 - 0.4)) == pytest.approx(density, rel=0.1)
    assert line.length == pytest.approx(1.2)
    assert area.contains(Point(depth + WALL_M / 2, 1.3))  # the opening, centred
    assert not area.contains(Point(depth + WALL_M / 2, 1.3 + 0.7))  # the wall beside it
    assert exit_polygon.bounds[0] > depth + WALL_M


def test_kretz_flow_at_a_door_of_0_8_m() -> None:
    """One run of the narrowest Seyfried-like width: the simulated flow is near the published
    one (the whole comparison, both start densities and three seeds, is in
    docs/validation/bottleneck_literature.md)."""
    kretz = next(r for r in set_ups() if r.source == "Kretz 2006" and r.opening_m == 0.8)
    flow = simulated_flow(kretz, density=2.5, seed=0)
    assert flow == pytest.approx(kretz.published_per_s, rel=0.2)
