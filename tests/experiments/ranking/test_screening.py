"""The screening: the CCRP-style estimate on a network built by hand, and a lower bound that the
crowd engine itself can never beat."""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
import numpy as np
import pytest
from shapely.geometry import LineString, box

from experiments.ranking.network import WalkNetwork
from experiments.ranking.screening import (
    MAX_SPECIFIC_FLOW,
    MAX_SPEED_M_S,
    SPECIFIC_FLOW,
    Leg,
    Movement,
    lower_bound,
    screen_plan,
)
from scenarios.ammonia import PuffModel, Release, Weather
from scenarios.population import PreMovement
from simulator import Simulation

# A room (x < 0), a 2 m wide, 20 m long bridge (0 <= x <= 20) and a landing with the exit.
ROOM = box(-20, -10, 0, 10)
BRIDGE = box(0, -1, 20, 1)
LANDING = box(20, -10, 30, 10)
EXIT = box(28, -10, 30, 10)
BRIDGE_FAR_HALF = box(10, -1, 20, 1)


def bridge_network() -> WalkNetwork:
    """room (0) - bridge start (1) - bridge end (2) - exit (3), along y = 0."""
    xy = {0: (-10.0, 0.0), 1: (0.0, 0.0), 2: (20.0, 0.0), 3: (29.0, 0.0)}
    graph: nx.Graph[Any] = nx.Graph()
    widths = {(0, 1): 20.0, (1, 2): 2.0, (2, 3): 20.0}
    for key, ((u, v), width) in enumerate(widths.items()):
        graph.add_edge(
            u,
            v,
            length=math.dist(xy[u], xy[v]),
            width=width,
            key=key,
            bridge=(u, v) == (1, 2),
            name="bridge" if (u, v) == (1, 2) else None,
            geometry=LineString([xy[u], xy[v]]),
        )
    return WalkNetwork(
        graph=graph,
        xy=xy,
        origin_nodes={"room": (0,)},
        destination_nodes={"exit": frozenset({3})},
        _passages={"bridge": [(1, 2)]},
    )


def movement(people: int, *, pre: PreMovement) -> Movement:
    return Movement(
        origin="room",
        people=people,
        nodes=(0,),
        area=ROOM,
        pre_movement=pre,
        legs=(Leg(name="bridge", nodes=frozenset({2}), area=BRIDGE_FAR_HALF, width_m=2.0),),
        destinations=(Leg(name="exit", nodes=frozenset({3}), area=EXIT),),
    )


def test_estimate_is_queueing_at_the_bridge_plus_walking() -> None:
    # Everyone ready at once: the bridge passes 1.3 · 2 = 2.6 people per second.
    instant = PreMovement(median_s=1.0, sigma=0.0, max_s=1.0)
    result = screen_plan(bridge_network(), [movement(520, pre=instant)], walking_speed_m_s=1.0)
    walk = 10 + 20 + 9
    expected = 1.0 + 0.95 * 520 / (SPECIFIC_FLOW * 2.0) + walk
    assert result.estimated_t95_s == pytest.approx(expected, rel=0.05)
    assert result.routes["room"] == [0, 1, 2, 3]
    assert result.lower_bound_s <= result.estimated_t95_s


def test_lower_bound_by_hand() -> None:
    instant = PreMovement(median_s=1.0, sigma=0.0, max_s=1.0)
    bound, which = lower_bound([movement(1000, pre=instant)])
    # 950 must cross; the first can reach the far half after 1 s + 10 m at 2 m/s... (the room
    # touches the bridge, so the straight-line legs are 10 m to the far half and 8 m on).
    first = 1.0 + 10.0 / MAX_SPEED_M_S
    after = 8.0 / MAX_SPEED_M_S
    assert which == "bridge"
    assert bound == pytest.approx(first + 950 / (MAX_SPECIFIC_FLOW * 2.0) + after, abs=1.0)


def test_the_engine_never_beats_the_lower_bound() -> None:
    """The bound holds for the real engine: 400 people through the bridge, three seeds."""
    pre = PreMovement(median_s=10.0, sigma=0.5, max_s=60.0)
    bound, _ = lower_bound([movement(400, pre=pre)])
    for seed in range(3):
        rng = np.random.default_rng(seed)
        sim = Simulation(
            walkable_area=ROOM.union(BRIDGE).union(LANDING), exits=[EXIT], seed=seed, dt=0.05
        )
        xs = rng.uniform(-19, -1, 2000)
        ys = rng.uniform(-9, 9, 2000)
        points = np.column_stack([xs, ys])
        keep = [0]
        for k in range(1, 2000):
            if len(keep) < 400 and np.min(np.hypot(*(points[keep] - points[k]).T)) > 0.4:
                keep.append(k)
        sim.add_agents(
            positions=points[keep],
            desired_speed=np.full(len(keep), MAX_SPEED_M_S),
            start_time=pre.sample(rng, len(keep)),
        )
        sim.run(max_time_s=600)
        times = np.sort(sim.exit_times)
        t95 = times[math.ceil(0.95 * times.size) - 1]
        assert np.isfinite(t95)
        assert bound <= t95, f"seed {seed}: bound {bound:.1f} s above the engine's T95 {t95:.1f} s"


def test_exposure_counts_people_whose_path_crosses_the_plume() -> None:
    instant = PreMovement(median_s=1.0, sigma=0.0, max_s=1.0)
    weather = Weather(wind_speed_m_s=1.0, wind_from_deg=0.0, stability="F")  # blowing south
    on_path = PuffModel(
        Release(x=10.0, y=30.0, rate_kg_s=5.0, start_s=0.0, duration_s=600.0, height_m=1.0),
        weather,
    )
    far_away = PuffModel(
        Release(x=10.0, y=-300.0, rate_kg_s=5.0, start_s=0.0, duration_s=600.0, height_m=1.0),
        weather,
    )
    moves = [movement(500, pre=instant)]
    hit = screen_plan(bridge_network(), moves, walking_speed_m_s=1.0, plume=on_path)
    spared = screen_plan(bridge_network(), moves, walking_speed_m_s=1.0, plume=far_away)
    assert hit.estimated_above_aegl2 > 100
    assert spared.estimated_above_aegl2 == 0
