"""What the crowd does must not depend on the time step (the city runs at 0.1 s, the validation at
0.05 s, the convergence check at 0.025 s)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from simulator import Simulation


def pressing_crowd(dt: float, *, seed: int = 0) -> tuple[float, float]:
    """360 people walk 10-40 m to a 0.6 m slit in the end wall of a 10 m wide hall; after 60 s
    (about 10 are through) returns the density (persons/m²) in the 5 m before the wall and the
    share of those within 7 m of the wall who stand south of the slit's axis (0.5: symmetric)."""
    hall = shapely.union_all([box(0, 0, 40, 10), box(39.9, 4.7, 41.1, 5.3), box(41, 0, 45, 10)])
    sim = Simulation(walkable_area=hall, exits=[box(44, 0, 45, 10)], seed=seed, dt=dt,
                     resolution=0.5)  # fmt: skip
    xs, ys = np.meshgrid(np.arange(0.4, 24, 0.8), np.arange(0.4, 9.7, 0.8))
    sim.add_agents(positions=np.column_stack([xs.ravel(), ys.ravel()]))
    sim.run(max_time_s=60)
    x, y = sim.positions.T
    near = x > 33
    return float(np.count_nonzero(x > 35) / 50.0), float(np.mean(y[near] < 5.0))


def test_a_pressing_queue_packs_the_same_at_any_time_step() -> None:
    """Before people pushed back stopped turning round through their right (2026-11-25), the
    queue held 5.7 persons/m² at dt 0.1 s and 5.1 at 0.025 s, its south half emptier (a third of
    the people) the shorter the step; now 5.8 either way and symmetric."""
    coarse_density, coarse_south = pressing_crowd(0.1)
    fine_density, fine_south = pressing_crowd(0.025)
    assert coarse_density == pytest.approx(fine_density, rel=0.05)
    assert 0.45 < coarse_south < 0.55
    assert 0.45 < fine_south < 0.55
