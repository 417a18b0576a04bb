"""Crowd-aware routing: Weidmann's slowdown, the smoothed density, and the option in a run."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box

from city_data.raster import WalkableGrid
from evac.errors import SimulationError
from simulator import CrowdAwareRouting, FloorFieldStore, Simulation
from simulator.crowd_aware_routing import crowd_costs, smoothed_density, weidmann_slowdown


def test_weidmann_slowdown_follows_the_published_curve() -> None:
    # Weidmann (1993): v/v_free = 1 - exp(-1.913 (1/ρ - 1/5.4)); worked out by hand.
    slowdown = weidmann_slowdown(np.array([0.0, 1.0, 1.5, 3.0]))
    assert slowdown[0] == 1.0
    assert slowdown[1] == pytest.approx(1 / (1 - math.exp(-1.913 * (1 - 1 / 5.4))), rel=1e-12)
    assert slowdown[2] == pytest.approx(1.6614, abs=1e-3)
    assert np.all(np.diff(slowdown) > 0)
    with pytest.raises(SimulationError, match="jam density"):
        weidmann_slowdown(np.array([5.4]))


def lattice(x0: float, x1: float, y0: float, y1: float, spacing: float) -> np.ndarray:
    xs, ys = np.meshgrid(np.arange(x0, x1, spacing), np.arange(y0, y1, spacing))
    return np.column_stack([xs.ravel(), ys.ravel()])


def test_smoothed_density_is_the_crowds_density_also_beside_a_wall() -> None:
    # 4 persons/m² (a 0.5 m lattice) over a 10 m x 10 m room, nobody in its eastern half.
    walkable = np.ones((100, 100), dtype=np.bool_)  # 0.1 m cells
    people = lattice(0.25, 5.0, 0.25, 10.0, 0.5)
    density = smoothed_density(
        people[:, 0], people[:, 1], walkable=walkable, x_min=0.0, y_min=0.0, resolution=0.1,
        smoothing_m=0.4,
    )  # fmt: skip
    assert density[50, 10:40].mean() == pytest.approx(4.0, rel=0.02)  # the crowd's middle
    assert density[0:3, 10:40].mean() == pytest.approx(4.0, rel=0.05)  # against the south wall
    assert density[50, 70:].max() < 1e-6  # the empty half
    # The people are all there: density over the area counts them.
    assert density.sum() * 0.01 == pytest.approx(len(people), rel=0.03)
    walled = walkable.copy()
    walled[:, 60:] = False
    shut_in = smoothed_density(
        people[:, 0], people[:, 1], walkable=walled, x_min=0.0, y_min=0.0, resolution=0.1,
        smoothing_m=0.4,
    )  # fmt: skip
    assert np.all(shut_in[:, 60:] == 0.0)


def open_room() -> WalkableGrid:
    """10 m x 10 m on 0.1 m cells, walkable throughout."""
    walkable = np.ones((100, 100), dtype=np.bool_)
    return WalkableGrid(
        x_min=0.0, y_min=0.0, resolution=0.1, walkable=walkable,
        distance_to_wall=np.ones((100, 100), dtype=np.float32),
    )  # fmt: skip


def test_crowd_cost_is_capped_and_one_where_nobody_is() -> None:
    people = lattice(0.25, 5.0, 0.25, 10.0, 0.5)  # 4/m², above the cap
    costs = crowd_costs(
        people, np.zeros_like(people), routing=CrowdAwareRouting(density_cap_per_m2=1.5),
        grid=open_room(), ways={},
    )  # fmt: skip
    cost = costs.for_target(0)  # no way known for target 0: everyone counts once
    assert cost.dtype == np.float32
    assert cost[50, 10:40] == pytest.approx(weidmann_slowdown(np.array([1.5]))[0], rel=1e-6)
    assert np.all(cost[:, 70:] == 1.0)
    assert cost.min() >= 1.0


def test_people_walking_against_a_targets_way_count_more_in_its_cost() -> None:
    # 1/m² walking east (x < 5 m) and 1/m² walking west (x > 5 m), on 1 m lattices.
    east = lattice(0.5, 5.0, 0.5, 10.0, 1.0)
    west = lattice(5.5, 10.0, 0.5, 10.0, 1.0)
    people = np.vstack([east, west])
    velocities = np.vstack(
        [np.tile([1.2, 0.0], (len(east), 1)), np.tile([-1.2, 0.0], (len(west), 1))]
    )
    eastward = (np.ones((100, 100), dtype=np.float32), np.zeros((100, 100), dtype=np.float32))
    routing = CrowdAwareRouting(counterflow_weight=3.0, density_cap_per_m2=5.0)
    costs = crowd_costs(people, velocities, routing=routing, grid=open_room(), ways={7: eastward})
    to_east, anyone = costs.for_target(7), costs.for_target(8)
    once, thrice = weidmann_slowdown(np.array([1.0, 3.0]))
    # Bound east, those coming the other way count three times, one's own stream once; for a
    # target whose way is not known yet everyone counts once.
    assert to_east[50, 75] == pytest.approx(thrice, rel=0.15)
    assert to_east[50, 25] == pytest.approx(once, rel=0.05)
    assert anyone[50, 75] == pytest.approx(once, rel=0.05)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"update_interval_s": 0.0}, "update_interval_s"),
        ({"smoothing_m": -0.4}, "smoothing_m"),
        ({"density_cap_per_m2": float("nan")}, "density_cap_per_m2"),
        ({"density_cap_per_m2": 5.4}, "jam density"),
        ({"update_interval_s": "0.5"}, "update_interval_s"),
        ({"counterflow_weight": 0.5}, "counterflow_weight must be at least 1"),
    ],
)
def test_bad_options_are_named(options: dict[str, object], named: str) -> None:
    with pytest.raises(SimulationError, match=named):
        CrowdAwareRouting(**options)  # type: ignore[arg-type]


def test_simulation_rejects_routing_of_another_kind() -> None:
    with pytest.raises(SimulationError, match="routing must be a CrowdAwareRouting"):
        Simulation(walkable_area=box(0, 0, 10, 4), exits=[box(9.8, 0, 10, 4)], routing="crowd")  # type: ignore[arg-type]


def l_shaped_run(
    routing: CrowdAwareRouting | None, *, seed: int, desired_speed: float | None = 1.3,
    store: Path | None = None,
) -> Simulation:  # fmt: skip
    """78 people at 1/m² in the 30 m south leg of an L-shaped 3 m corridor, bound for the end of
    its west leg (the inner corner at (-3, -3), the outer one at (0, 0))."""
    area = box(-3, -30, 0, 0).union(box(-15, -3, 0, 0))
    sim = Simulation(
        walkable_area=area, exits=[box(-15, -3, -14.8, 0)], seed=seed, dt=0.05, resolution=0.1,
        routing=routing, field_store=None if store is None else FloorFieldStore(store),
    )  # fmt: skip
    sim.add_agents(positions=lattice(-2.5, 0.0, -29.5, -4.0, 1.0), desired_speed=desired_speed)
    return sim


def inner_corner_distances(sim: Simulation, seconds: float) -> list[float]:
    """Where each agent crosses the diagonal y = x of the corner at (0, 0) going west: its
    distance from the inner corner (-3, -3), in metres."""
    crossed: dict[int, float] = {}
    before = dict(zip(sim.ids.tolist(), sim.positions.tolist(), strict=True))
    for _ in range(round(seconds / sim.dt)):
        sim.step()
        for agent, (x, y) in zip(sim.ids.tolist(), sim.positions.tolist(), strict=True):
            x0, y0 = before.get(agent, (x, y))
            if agent not in crossed and (y0 - x0) < 0 <= (y - x):
                crossed[agent] = math.hypot(x + 3, y + 3)
            before[agent] = (x, y)
    return list(crossed.values())


def test_crowd_aware_routing_spreads_a_crowd_round_a_corner(tmp_path: Path) -> None:
    static = inner_corner_distances(l_shaped_run(None, seed=0), 40.0)
    store = tmp_path / "fields"
    aware = inner_corner_distances(l_shaped_run(CrowdAwareRouting(), seed=0, store=store), 40.0)
    assert len(static) == len(aware) == 78
    # The static field's shortest way hugs the inner corner (90 % turn within 1.25 m of it);
    # the crowd's cost spreads the turn over the corridor (1.79 m when written).
    assert np.quantile(aware, 0.9) > np.quantile(static, 0.9) + 0.3
    assert np.median(aware) > np.median(static) + 0.05
    # Fields of a crowd's cost serve half a second: none is written to the store.
    assert not list(store.glob("*.npy"))


def test_crowd_aware_routing_repeats_with_the_same_seed() -> None:
    runs = [l_shaped_run(CrowdAwareRouting(), seed=3, desired_speed=None) for _ in range(2)]
    for sim in runs:
        sim.run(max_time_s=60.0)
    np.testing.assert_array_equal(runs[0].exit_times, runs[1].exit_times)
    assert np.isfinite(runs[0].exit_times).all()
