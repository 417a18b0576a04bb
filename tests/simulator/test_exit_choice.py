"""Queue-aware exit choice."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import box

from evac.errors import SimulationError
from simulator import Simulation
from simulator.exit_choice import choose_exits, exit_width_m


def test_exit_width_is_the_long_side() -> None:
    assert exit_width_m(box(30.3, 2, 30.5, 3)) == pytest.approx(1.0)
    assert exit_width_m(box(0, 0, 2.4, 0.2)) == pytest.approx(2.4)


def test_a_long_visible_queue_sends_people_to_the_other_exit() -> None:
    # Two exits; 40 people already bound for exit 0, all just ahead of the chooser.
    queue_walking = np.vstack([np.linspace(0.0, 5.0, 40), np.full(40, 20.0)])
    queue_exit = np.zeros(40, dtype=np.int64)
    walking = np.array([[6.0], [18.0]])  # exit 0 is 12 s nearer on foot
    capacity = np.array([1.5, 1.5])  # 40 ahead at 1.5/s: about 27 s of waiting
    chosen = choose_exits(walking, np.array([0]), capacity, np.array([True, True]),
                          queue_walking_time=queue_walking, queue_exit=queue_exit)  # fmt: skip
    assert chosen[0] == 1
    # With a short queue the near exit stays the better one.
    few = choose_exits(
        walking, np.array([0]), capacity, np.array([True, True]),
        queue_walking_time=queue_walking[:, :5], queue_exit=queue_exit[:5],
    )  # fmt: skip
    assert few[0] == 0
    # A closed exit is never chosen.
    closed = choose_exits(walking, np.array([0]), capacity, np.array([False, True]),
                          queue_walking_time=queue_walking, queue_exit=queue_exit)  # fmt: skip
    assert closed[0] == 1


def test_crowd_near_one_door_spreads_to_the_other() -> None:
    doors = [box(20, 1, 20.5, 2), box(20, 10, 20.5, 11)]
    area = shapely.union_all([box(0, 0, 20, 12), *doors])
    exits = [box(20.3, 1, 20.5, 2), box(20.3, 10, 20.5, 11)]
    xs, ys = np.meshgrid(np.linspace(8, 19.5, 20), np.linspace(0.5, 5, 12))
    start = np.column_stack([xs.ravel(), ys.ravel()])
    used = {}
    for choice in ("nearest", "queue"):
        sim = Simulation(walkable_area=area, exits=exits, seed=1, exit_choice=choice)
        sim.add_agents(positions=start)
        sim.run(max_time_s=600)
        assert sim.agent_count == 0
        used[choice] = np.bincount(sim.exits_used, minlength=2)
    # Everyone starts nearer door 0; weighing the queue sends more of them to door 1, not most.
    assert used["queue"][1] > used["nearest"][1]
    assert used["queue"][1] < used["queue"][0]


def test_bad_choice_options() -> None:
    with pytest.raises(SimulationError, match="unknown exit_choice"):
        Simulation(walkable_area=box(0, 0, 5, 5), exits=[box(4.8, 0, 5, 5)], exit_choice="herd")
    with pytest.raises(SimulationError, match="reconsider_share"):
        Simulation(walkable_area=box(0, 0, 5, 5), exits=[box(4.8, 0, 5, 5)], reconsider_share=2)
