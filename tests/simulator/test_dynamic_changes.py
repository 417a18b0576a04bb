"""Changes during a run that scenarios rely on: closed areas, hazard costs, speeds, start times."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, box

from evac.errors import SimulationError
from simulator import Simulation

# A 30 m x 10 m hall split by a wall at x 14-16 with a door at each end (y 0-2 and y 8-10).
HALL = box(0, 0, 30, 10).difference(box(14, 2, 16, 8))
EXIT = box(29.6, 0, 30, 10)
UPPER_DOOR = box(13, 7.5, 17, 10)


def _crowd(sim: Simulation, n: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(1, 12, 0.8), np.arange(0.6, 9.6, 0.8))
    points = np.column_stack([xs.ravel(), ys.ravel()])
    sim.add_agents(positions=points[rng.choice(len(points), n, replace=False)])


def test_a_closed_area_stays_empty_and_people_route_round_it() -> None:
    sim = Simulation(walkable_area=HALL, exits=[EXIT], seed=1)
    _crowd(sim, 60)
    caught = sim.add_agents(positions=[[15.0, 9.0]], desired_speed=1.3)  # in the door at closing
    sim.close_area(UPPER_DOOR)
    entered_after_leaving = 0
    was_inside = {int(caught[0])}
    while sim.agent_count and sim.time < 120:
        sim.step()
        inside = shapely.contains_xy(UPPER_DOOR, sim.positions[:, 0], sim.positions[:, 1])
        now_inside = set(sim.ids[inside].tolist())
        entered_after_leaving += len(now_inside - was_inside)
        was_inside &= now_inside
    assert entered_after_leaving == 0
    assert sim.agent_count == 0  # everyone, the one caught in the door too, got out below


def test_opening_the_area_again_lets_people_through() -> None:
    sim = Simulation(walkable_area=HALL, exits=[EXIT], seed=1)
    handle = sim.close_area(UPPER_DOOR)
    sim.open_area(handle)
    sim.add_agents(positions=[[10.0, 9.0]], desired_speed=1.3)
    visited = False
    while sim.agent_count and sim.time < 60:
        sim.step()
        visited |= bool(shapely.contains_xy(UPPER_DOOR, *sim.positions.T).any())
    assert visited  # the short way through the upper door is open again


def test_hazard_cost_turns_routes_away() -> None:
    def through_upper_door(cost: np.ndarray | None) -> int:
        sim = Simulation(walkable_area=HALL, exits=[EXIT], seed=2)
        if cost is not None:
            sim.set_hazard_cost(cost)
        _crowd(sim, 40)
        used: set[int] = set()
        while sim.agent_count and sim.time < 120:
            sim.step()
            inside = shapely.contains_xy(UPPER_DOOR, *sim.positions.T)
            used |= set(sim.ids[inside].tolist())
        return len(used)

    sim = Simulation(walkable_area=HALL, exits=[EXIT])
    grid = sim.grid
    rows, _ = np.indices(grid.shape)
    y = grid.y_min + (rows + 0.5) * grid.resolution
    cost = np.where(y > 6.0, 50.0, 1.0).astype(np.float32)  # gas over the upper half
    assert through_upper_door(None) > 10
    assert through_upper_door(cost) == 0


def test_speed_factor_and_start_time() -> None:
    corridor, door = box(0, 0, 40, 2), box(39.5, 0, 40, 2)
    times = []
    for factor in (1.0, 2.0):
        sim = Simulation(walkable_area=corridor, exits=[door])
        ids = sim.add_agents(positions=[[1.0, 1.0]], desired_speed=1.0, start_time=100.0)
        sim.set_start_time(ids, 0.0)  # the alarm: no more waiting
        sim.set_speed_factor(ids, factor)
        sim.run(max_time_s=200)
        times.append(float(sim.exit_times[0]))
    assert times[0] == pytest.approx(38.5, rel=0.08)
    assert times[1] == pytest.approx(times[0] / 2, rel=0.08)


def test_a_multi_part_exit_is_one_destination() -> None:
    stops = MultiPolygon([box(29.6, 0, 30, 2), box(29.6, 8, 30, 10)])
    sim = Simulation(walkable_area=HALL, exits=[stops], seed=3)
    _crowd(sim, 40)
    sim.run(max_time_s=120)
    assert sim.agent_count == 0 and set(sim.exits_used.tolist()) == {0}


def test_bad_changes_are_refused() -> None:
    sim = Simulation(walkable_area=HALL, exits=[EXIT])
    with pytest.raises(SimulationError, match="covers no walkable"):
        sim.close_area(box(100, 100, 101, 101))
    with pytest.raises(SimulationError, match="close_exit instead"):
        sim.close_area(box(25, -1, 31, 11))
    with pytest.raises(SimulationError, match="grid's shape"):
        sim.set_hazard_cost(np.ones((3, 3)))
    with pytest.raises(SimulationError, match=">= 1"):
        sim.set_hazard_cost(np.zeros(sim.grid.shape))
    ids = sim.add_agents(positions=[[1.0, 1.0]])
    with pytest.raises(SimulationError, match="speed factors"):
        sim.set_speed_factor(ids, 0.0)
    with pytest.raises(SimulationError, match="no closed area"):
        sim.open_area(7)


def test_routes_pass_their_waypoints_in_order() -> None:
    # Exit on the right; the route goes by the far-left bottom corner, then the upper door.
    corner, door = box(0, 0, 3, 3), box(13, 7.5, 17, 10)
    sim = Simulation(walkable_area=HALL, exits=[EXIT], waypoints=[corner, door], seed=4)
    ids = sim.add_agents(positions=[[10.0, 5.0], [10.0, 4.0]], route=[0, 1], desired_speed=1.3)
    first_visit: dict[str, float] = {}
    while sim.agent_count and sim.time < 200:
        sim.step()
        for name, area in (("corner", corner), ("door", door)):
            if name not in first_visit and shapely.contains_xy(area, *sim.positions.T).any():
                first_visit[name] = sim.time
    assert sim.agent_count == 0 and (sim.exits_used[ids] == 0).all()
    assert first_visit["corner"] < first_visit["door"]  # the corner first, though further
    with pytest.raises(SimulationError, match="route waypoints"):
        sim.add_agents(positions=[[10.0, 5.0]], route=[2])
