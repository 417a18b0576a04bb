"""The venue's raster: which cells people may stand in, and how far the walls are."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from simulator import Simulation
from simulator.kernels import sample
from simulator.venue import build_venue

GATE_WIDTH_M = 2.0


def gate_room(width_m: float = GATE_WIDTH_M) -> BaseGeometry:
    """A 20 m x 20 m room, a gate through a 1 m wall, 5 m beyond (the exit at the far end)."""
    half = width_m / 2
    return shapely.union_all(
        [box(0, 0, 20, 20), box(10 - half, 19.9, 10 + half, 21.1), box(0, 21, 20, 26)]
    )


def test_a_gate_on_a_coarse_raster_keeps_its_whole_width() -> None:
    """On a 0.5 m raster the 2 m gate is four cells wide, all four open to people's centres (a
    test on the centre's distance to the wall once closed the outer two), and the wall is felt
    at its edge, not a quarter metre inside it."""
    venue = build_venue(gate_room(), [box(0, 25, 20, 26)], resolution=0.5)
    grid = venue.grid
    row = int((20.5 - grid.y_min) / grid.resolution)
    columns = np.flatnonzero(venue.movable[row])
    assert columns.size == 4
    assert grid.x_min + columns.min() * grid.resolution == pytest.approx(9.0)
    edge = sample(grid.distance_to_wall, 9.0, 20.5, grid.x_min, grid.y_min, grid.resolution)
    assert abs(edge) < 0.01
    beside = sample(grid.distance_to_wall, 9.25, 20.5, grid.x_min, grid.y_min, grid.resolution)
    assert beside == pytest.approx(0.25, abs=0.01)  # the first cell's centre


def gate_flow(
    resolution: float, seed: int, *, width_m: float = GATE_WIDTH_M, dt: float = 0.05
) -> float:
    """People per second through the gate: 300 people from the room, (N - 1) / (last - first).
    (The figures in the README's "Walls on the raster" and limits come from this function.)"""
    sim = Simulation(
        walkable_area=gate_room(width_m),
        exits=[box(0, 25, 20, 26)],
        seed=seed,
        dt=dt,
        resolution=resolution,
    )
    xs, ys = np.meshgrid(np.linspace(1, 19, 20), np.linspace(1, 15, 15))
    sim.add_agents(positions=np.column_stack([xs.ravel(), ys.ravel()]))
    sim.run(max_time_s=400)
    assert sim.agent_count == 0
    times = np.sort(sim.exit_times)
    return float((times.size - 1) / (times[-1] - times[0]))


def test_gate_flow_hardly_depends_on_the_raster() -> None:
    """The same gate on a 0.5 m raster (the city's) and a 0.1 m one passes about as many people
    per second (measured 4.8 and 4.5 /s, crowd gap 0.35 s, 4 seeds); before the two fixes above
    the coarse one passed 2.9."""
    coarse = np.median([gate_flow(0.5, seed) for seed in (0, 1)])
    fine = np.median([gate_flow(0.1, seed) for seed in (0, 1)])
    assert coarse == pytest.approx(fine, rel=0.15)
