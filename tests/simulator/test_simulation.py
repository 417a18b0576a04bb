"""The engine's facade: RiMEA verification cases, determinism, dynamic changes and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from shapely.geometry import Point, Polygon, box

from evac.errors import SimulationError
from experiments.bottleneck_widths import BOTTLENECK_START_M, geometry
from experiments.bottleneck_widths import start_positions as bottleneck_start_positions
from experiments.rimea import rimea_6_geometry, rimea_9_geometry
from simulator import CollisionFreeSpeedModel, Simulation, SocialForceModel
from simulator.simulation import turn_fraction


def test_rimea_1_straight_corridor() -> None:
    """RiMEA test 1: one person at 1.33 m/s along a 40 m x 2 m corridor takes 26-34 s."""
    sim = Simulation(walkable_area=box(0, 0, 40, 2), exits=[box(39.8, 0, 40, 2)], seed=0)
    sim.add_agents(positions=[[0.5, 1.0]], desired_speed=1.33)
    sim.run(max_time_s=60)
    assert sim.agent_count == 0
    assert 26.0 <= sim.exit_times[0] <= 34.0


def test_walked_distance_is_the_way_walked() -> None:
    # Along the 40 m corridor from x = 1 into the exit, which starts at x = 39.5: about 38.5 m.
    sim = Simulation(walkable_area=box(0, 0, 40, 2), exits=[box(39.5, 0, 40, 2)], seed=2)
    sim.add_agents(positions=[[1.0, 1.0], [1.0, 0.5]], desired_speed=[1.33, 1.0])
    sim.step(n=100)
    walked_early = sim.walked_distances
    assert walked_early[0] == pytest.approx(1.33 * 100 * sim.dt, rel=0.05)
    sim.run(max_time_s=60)
    assert sim.walked_distances == pytest.approx([38.5, 38.5], abs=0.6)


def test_rimea_6_nobody_passes_through_walls() -> None:
    area, exit_polygon = rimea_6_geometry()
    sim = Simulation(walkable_area=area, exits=[exit_polygon], seed=3)
    rng = np.random.default_rng(3)
    start = np.column_stack([rng.uniform(0.3, 1.7, 20), np.linspace(0.3, 5.7, 20)])
    sim.add_agents(positions=start)
    exact = area.buffer(1e-9)
    while sim.agent_count and sim.time < 120:
        sim.step()
        assert all(exact.contains(Point(p)) for p in sim.positions)
    assert sim.agent_count == 0


@pytest.mark.slow
def test_rimea_9_closing_two_exits_about_doubles_the_time_and_nobody_sticks() -> None:
    area, exits = rimea_9_geometry()
    xs, ys = np.meshgrid(np.linspace(1, 29, 40), np.linspace(1, 19, 25))
    start = np.column_stack([xs.ravel(), ys.ravel()])
    times = []
    for closed in ([], [0, 1]):
        sim = Simulation(walkable_area=area, exits=exits, seed=0)
        sim.add_agents(positions=start + np.random.default_rng(0).uniform(-0.1, 0.1, start.shape))
        for index in closed:
            sim.close_exit(index)
        sim.run(max_time_s=900)
        assert sim.agent_count == 0, f"{sim.agent_count} agents stuck with exits {closed} closed"
        times.append(float(np.nanmax(sim.exit_times)))
    assert 1.6 <= times[1] / times[0] <= 2.4


def small_room(seed: int) -> Simulation:
    area = shapely.union_all([box(0, 0, 8, 5), box(7.9, 2, 9, 3)])
    sim = Simulation(walkable_area=area, exits=[box(8.8, 2, 9, 3)], seed=seed)
    xs, ys = np.meshgrid(np.linspace(0.5, 6.5, 8), np.linspace(0.5, 4.5, 5))
    sim.add_agents(positions=np.column_stack([xs.ravel(), ys.ravel()]))
    return sim


def test_same_seed_same_result_other_seed_other_result() -> None:
    first = small_room(7).run(max_time_s=120).exit_times
    again = small_room(7).run(max_time_s=120).exit_times
    other = small_room(8).run(max_time_s=120).exit_times
    assert np.isfinite(first).all()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_ids_positions_and_exit_times() -> None:
    sim = small_room(1)
    assert sim.agent_count == 40
    assert sim.positions.shape == (40, 2)
    assert np.isnan(sim.exit_times).all()
    more = sim.add_agents(positions=[[1.0, 1.0], [2.0, 1.0]], desired_speed=[1.0, 1.5])
    np.testing.assert_array_equal(more, [40, 41])
    sim.remove_agents([3, 41])
    assert sim.agent_count == 40
    assert 3 not in sim.ids and 41 not in sim.ids
    sim.run(max_time_s=200)
    times = sim.exit_times
    assert times.shape == (42,)
    assert np.isnan(times[[3, 41]]).all()  # removed, never left
    assert np.isfinite(np.delete(times, [3, 41])).all()


def test_closing_an_exit_reroutes_and_reopening_works() -> None:
    area = shapely.union_all([box(0, 0, 20, 4), box(-0.5, 1, 0, 3), box(20, 1, 20.5, 3)])
    exits = [box(-0.5, 1, -0.3, 3), box(20.3, 1, 20.5, 3)]
    sim = Simulation(walkable_area=area, exits=exits, seed=0)
    sim.add_agents(positions=[[3.0, 2.0], [4.0, 2.0]], exit=0, desired_speed=1.3)
    sim.step(20)
    sim.close_exit(0)  # they were heading west; now the way out is 16 m east
    sim.run(max_time_s=60)
    assert sim.agent_count == 0
    assert sim.exit_times.min() > 12.0  # 16+ m at 1.3 m/s after turning round
    sim.open_exit(0)
    sim.add_agents(positions=[[3.0, 2.0]], exit=0, desired_speed=1.3)
    sim.run(max_time_s=sim.time + 10)
    assert sim.agent_count == 0


def test_set_exit_changes_the_target() -> None:
    area = shapely.union_all([box(0, 0, 20, 4), box(-0.5, 1, 0, 3), box(20, 1, 20.5, 3)])
    exits = [box(-0.5, 1, -0.3, 3), box(20.3, 1, 20.5, 3)]
    sim = Simulation(walkable_area=area, exits=exits, seed=0)
    ids = sim.add_agents(positions=[[5.0, 2.0]], desired_speed=1.0)  # nearest: west, 5 m
    sim.set_exit(ids, 1)
    sim.run(max_time_s=30)
    assert sim.exit_times[0] > 14.0  # went east, 15 m


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"walkable_area": Polygon([(0, 0), (4, 4), (4, 0), (0, 4)])}, "not a valid polygon"),
        ({"exits": [box(50, 50, 51, 51)]}, "exit 0 lies outside the walkable area"),
        ({"exits": []}, "at least one exit"),
        ({"model": "magic"}, "unknown model 'magic'"),
        ({"dt": -0.05}, "dt must be a time step"),
    ],
)
def test_bad_setup(kwargs: dict[str, object], message: str) -> None:
    setup: dict[str, object] = {"walkable_area": box(0, 0, 10, 10), "exits": [box(9.5, 4, 10, 6)]}
    setup.update(kwargs)
    with pytest.raises(SimulationError, match=message):
        Simulation(**setup)  # type: ignore[arg-type]


def test_agents_in_walls_or_outside_are_refused() -> None:
    area = box(0, 0, 10, 10).difference(box(4, 4, 6, 6))  # a pillar
    sim = Simulation(walkable_area=area, exits=[box(9.5, 4, 10, 6)])
    with pytest.raises(SimulationError, match=r"agent 1 at \(5.00, 5.00\) is outside"):
        sim.add_agents(positions=[[1.0, 1.0], [5.0, 5.0]])
    with pytest.raises(SimulationError, match="outside the walkable area"):
        sim.add_agents(positions=[[11.0, 1.0]])
    with pytest.raises(SimulationError, match="shape"):
        sim.add_agents(positions=[1.0, 2.0])
    assert sim.agent_count == 0  # nothing half-added


@pytest.mark.parametrize("width", [0.5, 0.8])
def test_no_deadlock_at_a_narrow_square_edged_door(width: float) -> None:
    """150 people through a door narrower than two bodies: everyone gets out. Seeds 0, 2, 4 and
    5 left 2-3 people swinging at the jambs of the 0.5 m door for good before turning took time
    (`CollisionFreeSpeedModel.turning_time_s`)."""
    area = shapely.union_all(
        [box(-4, 0, 4, 10), box(-width / 2, -1, width / 2, 0.01), box(-4, -3, 4, -0.99)]
    )
    for seed in range(6):
        sim = Simulation(
            walkable_area=area, exits=[box(-4, -3, 4, -2.8)], seed=seed, resolution=0.05
        )
        xs, ys = np.meshgrid(np.linspace(-3.6, 3.6, 15), np.linspace(1, 9, 10))
        sim.add_agents(positions=np.column_stack([xs.ravel(), ys.ravel()]))
        sim.run(max_time_s=400)
        assert sim.agent_count == 0, f"seed {seed}: {sim.agent_count} left"


def seconds_for_a_metre_in_a_passage(width: float, *, model: str) -> float:
    """How long a lone walker (1.3 m/s) who comes in 0.6 m off the middle of a 2 m long
    passage `width` wide takes for its second metre (infinite if it never gets through)."""
    area = shapely.union_all(
        [box(0, 0, 10, 8), box(9.99, 4 - width / 2, 12.01, 4 + width / 2), box(12, 0, 15, 8)]
    )
    sim = Simulation(
        walkable_area=area, exits=[box(14.8, 0, 15, 8)], seed=0, resolution=0.05, model=model
    )
    sim.add_agents(positions=[[6.0, 4.6]], desired_speed=1.3)
    times = {10.5: math.inf, 11.5: math.inf}
    while sim.agent_count and sim.time < 30:
        sim.step()
        x = sim.positions[0, 0] if sim.agent_count else np.inf
        for mark in times:
            if x >= mark and times[mark] == math.inf:
                times[mark] = sim.time
    return times[11.5] - times[10.5]


@pytest.mark.parametrize("width", [0.4, 0.5])
def test_a_lone_walker_keeps_its_speed_in_a_passage_narrower_than_two_bodies(width: float) -> None:
    """Someone who comes in off the middle of a 2 m long passage walks through it at full
    speed. The wall push used to flip its full size from side to side across the passage's
    middle: the walker zig-zagged, and the wall ahead cut every other step to a third
    (a metre took 1.15 s at 0.5 m and 7 s at 0.4 m instead of 0.77 s)."""
    assert seconds_for_a_metre_in_a_passage(width, model="cfsm") < 1.0 / (0.95 * 1.3)


def median_headway_in_a_narrow_passage(parameters: CollisionFreeSpeedModel, seed: int) -> float:
    """Median time between two people crossing a line 1 m into a 0.5 m wide, 2 m long
    passage that 60 people leave a room through (JuPedSim's model of the Jülich set-up)."""
    area, exit_polygon, _ = geometry(0.5)
    sim = Simulation(
        walkable_area=area, exits=[exit_polygon], seed=seed, resolution=0.05,
        parameters=parameters,
    )  # fmt: skip
    ids = sim.add_agents(positions=bottleneck_start_positions(60, seed))
    line_x = BOTTLENECK_START_M + 1.0
    crossed = np.full(ids.size, np.nan)
    while sim.agent_count and sim.time < 200:
        sim.step()
        inside = sim.ids
        ahead = inside[(sim.positions[:, 0] >= line_x) & np.isnan(crossed[inside])]
        crossed[ahead] = sim.time
    assert np.isfinite(crossed).all()
    return float(np.median(np.diff(np.sort(crossed))))


@pytest.mark.parametrize("seed", [0, 1])
def test_who_steps_out_of_a_crowd_into_a_narrow_passage_keeps_the_crowds_time_gap(
    seed: int,
) -> None:
    """In a passage one body wide nobody walks beside anyone: without the crowd memory people
    who had just left the crowd fell back to the single file's 1 s there and held up everyone
    behind (median 1.15 s between followers in seeds 0, 1 and 2; with the default memory 1.0,
    1.05 and 1.1 s: seed 2's gain is only 0.05 s)."""
    forgetting = CollisionFreeSpeedModel(crowd_memory_s=1e-3)
    assert (
        median_headway_in_a_narrow_passage(CollisionFreeSpeedModel(), seed)
        < median_headway_in_a_narrow_passage(forgetting, seed) - 0.08
    )


@pytest.mark.parametrize("width", [0.6, 0.7])
def test_a_lone_social_force_walker_gets_through_an_opening_narrower_than_its_wall_reach(
    width: float,
) -> None:
    """With the social force model's wall constants (Helbing et al. 2000) the one wall's push
    at 0.39 m, on the axis of an opening's mouth, matches the drive; the unit normal there
    pointed straight back (the two corners' sideways pushes, which cancel, turned into one
    back), so a lone walker stopped in front of any opening narrower than about 0.78 m. The
    push now fades with the distance field's slope (the pushes' sum): through at almost full
    speed."""
    assert seconds_for_a_metre_in_a_passage(width, model="sfm") < 1.0 / (0.85 * 1.3)


def test_social_force_model_rimea_1_and_6() -> None:
    sim = Simulation(walkable_area=box(0, 0, 40, 2), exits=[box(39.8, 0, 40, 2)], model="sfm")
    sim.add_agents(positions=[[0.5, 1.0]], desired_speed=1.33)
    sim.run(max_time_s=60)
    assert 26.0 <= sim.exit_times[0] <= 34.0
    area, exit_polygon = rimea_6_geometry()
    sim = Simulation(walkable_area=area, exits=[exit_polygon], model="sfm", seed=3)
    sim.add_agents(positions=np.column_stack([np.full(20, 1.0), np.linspace(0.3, 5.7, 20)]))
    exact = area.buffer(1e-9)
    while sim.agent_count and sim.time < 120:
        sim.step()
        assert all(exact.contains(Point(p)) for p in sim.positions)
    assert sim.agent_count == 0


def test_social_force_model_is_reproducible_and_takes_its_own_parameters() -> None:
    def run(seed: int) -> np.ndarray:
        area = shapely.union_all([box(0, 0, 8, 5), box(7.9, 2, 9, 3)])
        sim = Simulation(walkable_area=area, exits=[box(8.8, 2, 9, 3)], model="sfm", seed=seed)
        xs, ys = np.meshgrid(np.linspace(0.5, 6.5, 6), np.linspace(0.5, 4.5, 4))
        sim.add_agents(positions=np.column_stack([xs.ravel(), ys.ravel()]))
        return sim.run(max_time_s=120).exit_times

    first = run(5)
    assert np.isfinite(first).all()
    np.testing.assert_array_equal(first, run(5))
    with pytest.raises(SimulationError, match="takes SocialForceModel parameters"):
        Simulation(walkable_area=box(0, 0, 5, 5), exits=[box(4.8, 0, 5, 5)], model="sfm",
                   parameters=CollisionFreeSpeedModel())  # fmt: skip
    # Without a model name, the model the parameters are for.
    for parameters, model in ((SocialForceModel(), "sfm"), (CollisionFreeSpeedModel(), "cfsm"),
                              (None, "cfsm")):  # fmt: skip
        square = Simulation(
            walkable_area=box(0, 0, 5, 5), exits=[box(4.8, 0, 5, 5)], parameters=parameters
        )
        assert square.model == model
    with pytest.raises(SimulationError, match="must be positive"):
        SocialForceModel(relaxation_time_s=0.0)


def test_many_agents_added_in_batches_keep_every_per_agent_field() -> None:
    """The arrays grow together past their first capacity (1,024)."""
    sim = Simulation(walkable_area=box(0, 0, 60, 60), exits=[box(59.8, 0, 60, 60)], seed=0)
    xs, ys = np.meshgrid(np.arange(1, 59, 1.0), np.arange(1, 59, 1.0))
    points = np.column_stack([xs.ravel(), ys.ravel()])
    first = sim.add_agents(positions=points[:1000], exit=0, start_time=5.0)
    second = sim.add_agents(positions=points[1000:2500])
    assert second[-1] == 2499 and sim.agent_count == 2500
    assert (sim._target[first] == 0).all() and (sim._start_time[first] == 5.0).all()
    assert sim._chooses[second].all() and not sim._chooses[first].any()
    sim.step(2)
    np.testing.assert_array_equal(sim.positions[: len(first)], points[:1000])  # still waiting


def test_turning_does_not_hang_on_the_time_step() -> None:
    """Two steps of dt turn as far as one of 2 dt (the exact relaxation; the step-wise dt/tau
    turned a third of the way at 0.05 s and two thirds at 0.1 s, a fifth further over 0.1 s), a
    third of the way at 0.05 s with the default 0.123 s, and at once with a tiny time."""
    for dt in (0.025, 0.05, 0.1):
        left_after_two = (1.0 - turn_fraction(dt, 0.123)) ** 2
        assert left_after_two == pytest.approx(1.0 - turn_fraction(2 * dt, 0.123), rel=1e-12)
    assert turn_fraction(0.05, 0.123) == pytest.approx(1 / 3, abs=0.001)
    assert turn_fraction(0.05, 1e-9) == 1.0
