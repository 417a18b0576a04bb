"""The Mesa face of the engine."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, box

from simulator import EvacuationModel


def corridor_model(seed: int) -> EvacuationModel:
    area = shapely.union_all([box(0, 0, 12, 3), box(12, 1, 12.5, 2)])
    xs, ys = np.meshgrid(np.linspace(0.5, 4.5, 6), np.linspace(0.5, 2.5, 4))
    return EvacuationModel(
        walkable_area=area,
        exits=[box(12.3, 1, 12.5, 2)],
        positions=np.column_stack([xs.ravel(), ys.ravel()]),
        measurement_lines={"mid": LineString([(6, 0), (6, 3)])},
        seed=seed,
    )


def test_mesa_run_collects_evacuation_density_and_flow() -> None:
    model = corridor_model(seed=42)
    while model.running and model.steps < 200:
        model.step()
    data = model.datacollector.get_model_vars_dataframe()
    assert data["evacuated"].iloc[-1] == 24
    assert data["inside"].iloc[-1] == 0
    assert data["flow_mid"].iloc[-1] == 24  # everyone crossed west to east: left to right
    assert (data["evacuated"].diff().dropna() >= 0).all()
    # 0.8 m x 0.67 m start grid: at most 5 people (one and four neighbours) within 1 m.
    assert data["max_density_per_m2"].iloc[0] == pytest.approx(5 / np.pi)


def test_seeds_come_from_mesa() -> None:
    first = corridor_model(seed=1)
    same = corridor_model(seed=1)
    other = corridor_model(seed=2)
    assert first.simulation.seed == same.simulation.seed != other.simulation.seed


def test_line_counter_counts_both_ways_and_ignores_misses() -> None:
    from simulator import LineCounter

    counter = LineCounter(LineString([(0, 0), (0, 2)]))
    before = np.array([[-0.1, 1.0], [0.1, 1.5], [-0.1, 5.0]])
    after = np.array([[0.1, 1.0], [-0.1, 1.5], [0.1, 5.0]])  # the third passes beyond the end
    assert counter.update(before, after) == 0
    assert (counter.forward, counter.backward) == (1, 1)
