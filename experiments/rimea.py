"""RiMEA verification tests (RiMEA 3.0 / 4.x) that need no stairs, run on the crowd engine.

Each test builds its geometry, runs and returns a `RimeaResult`: what was measured, the acceptance
criterion and whether it passed. `evac verify` prints the table.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from experiments.rimea_fundamental_diagrams import (
    corridor_diagram,
    inside_rimea_16_band,
    ring_diagram,
    weidmann_speed,
)
from simulator import Simulation
from simulator.simulation import weidmann_speeds


@dataclass(frozen=True)
class RimeaResult:
    """The outcome of one RiMEA test."""

    test: int
    title: str
    criterion: str
    measured: str
    passed: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _grid(x0: float, x1: float, y0: float, y1: float, n: int, seed: int) -> np.ndarray:
    """n starting points spread over a rectangle (jittered grid)."""
    columns = int(np.ceil(np.sqrt(n * (x1 - x0) / (y1 - y0))))
    rows = int(np.ceil(n / columns))
    xs, ys = np.meshgrid(np.linspace(x0, x1, columns), np.linspace(y0, y1, rows))
    points = np.column_stack([xs.ravel(), ys.ravel()])[:n]
    spacing = min((x1 - x0) / max(columns - 1, 1), (y1 - y0) / max(rows - 1, 1))
    jitter = np.random.default_rng(seed).uniform(-0.1, 0.1, points.shape) * min(spacing, 1.0)
    return np.asarray(points + jitter, dtype=float)


def test_1(seed: int = 0) -> RimeaResult:
    sim = Simulation(walkable_area=box(0, 0, 40, 2), exits=[box(39.8, 0, 40, 2)], seed=seed)
    sim.add_agents(positions=[[0.2, 1.0]], desired_speed=1.33)
    sim.run(max_time_s=60)
    t = float(sim.exit_times[0])
    return RimeaResult(
        1,
        "straight corridor 40 m x 2 m, 1.33 m/s",
        "travel time 26-34 s",
        f"{t:.1f} s",
        26.0 <= t <= 34.0,
    )


def test_5(seed: int = 0) -> RimeaResult:
    area = shapely.union_all([box(0, 0, 8, 5), box(8, 2, 8.5, 3)])
    sim = Simulation(walkable_area=area, exits=[box(8.3, 2, 8.5, 3)], seed=seed)
    rng = np.random.default_rng(seed)
    starts = rng.uniform(10, 100, 10)
    sim.add_agents(positions=_grid(0.5, 6.5, 0.5, 4.5, 10, seed), start_time=starts)
    first_move = np.full(10, np.nan)
    previous = np.full((10, 2), np.nan)
    previous[sim.ids] = sim.positions
    while sim.agent_count and sim.time < 200:
        step_start = sim.time
        sim.step()
        ids, current = sim.ids, sim.positions
        moved = np.hypot(*(current - previous[ids]).T) > 1e-6
        fresh = moved & np.isnan(first_move[ids])
        first_move[ids[fresh]] = step_start
        previous[ids] = current
    late = first_move - starts
    ok = bool(np.all((late >= -1e-9) & (late <= sim.dt + 1e-9)))
    return RimeaResult(
        5,
        "pre-movement times uniform in 10-100 s, 10 persons",
        "each person starts at its own time",
        f"start delays {np.nanmin(late):.2f}-{np.nanmax(late):.2f} s after the assigned times",
        ok,
    )


def rimea_6_geometry() -> tuple[Polygon, Polygon]:
    """10 m up a 2 m corridor, a left turn, 10 m along; the exit at the far end."""
    area = shapely.union_all([box(0, 0, 2, 12), box(-10, 10, 2, 12)])
    return area, box(-10, 10, -9.8, 12)  # type: ignore[return-value]


def test_6(seed: int = 0) -> RimeaResult:
    area, exit_polygon = rimea_6_geometry()
    sim = Simulation(walkable_area=area, exits=[exit_polygon], seed=seed)
    sim.add_agents(positions=_grid(0.3, 1.7, 0.3, 5.7, 20, seed))
    exact = area.buffer(1e-9)
    outside = 0
    while sim.agent_count and sim.time < 120:
        sim.step()
        outside += sum(not exact.contains(Point(p)) for p in sim.positions)
    return RimeaResult(
        6,
        "corner: 20 persons, 2 m corridor turning left",
        "nobody passes through walls",
        f"{outside} positions outside the walls; {sim.agent_count} left inside",
        outside == 0 and sim.agent_count == 0,
    )


def test_7(seed: int = 0) -> RimeaResult:
    """Desired speeds from Weidmann's adult distribution; measured free walking speeds match."""
    sim = Simulation(walkable_area=box(0, 0, 60, 30), exits=[box(59.8, 0, 60, 30)], seed=seed)
    ys = np.linspace(0.5, 29.5, 50)
    assigned = weidmann_speeds(np.random.default_rng(seed), 50)
    sim.add_agents(positions=np.column_stack([np.full(50, 1.0), ys]), desired_speed=assigned)
    sim.step(100)  # 5 s: past the first step from rest
    start = sim.positions.copy()
    sim.step(100)
    measured = np.hypot(*(sim.positions - start).T) / (100 * sim.dt)
    error = float(np.max(np.abs(measured - assigned) / assigned))
    return RimeaResult(
        7,
        "50 adults, Weidmann speeds (mean 1.34, s.d. 0.26 m/s)",
        "simulated speeds follow the assigned distribution (each within 5 %)",
        f"mean {measured.mean():.2f} m/s, s.d. {measured.std():.2f}; largest "
        f"individual deviation {error:.1%}",
        error <= 0.05,
    )


def rimea_9_geometry() -> tuple[Polygon, list[Polygon]]:
    doors = [box(4, -0.5, 5, 0), box(25, -0.5, 26, 0), box(4, 20, 5, 20.5), box(25, 20, 26, 20.5)]
    exits = [
        box(4, -0.5, 5, -0.3),
        box(25, -0.5, 26, -0.3),
        box(4, 20.3, 5, 20.5),
        box(25, 20.3, 26, 20.5),
    ]
    return shapely.union_all([box(0, 0, 30, 20), *doors]), exits  # type: ignore[return-value]


def test_9(seed: int = 0) -> RimeaResult:
    area, exits = rimea_9_geometry()
    times, stuck = [], []
    for closed in ([], [0, 1]):
        sim = Simulation(walkable_area=area, exits=exits, seed=seed)
        sim.add_agents(positions=_grid(0.5, 29.5, 0.5, 19.5, 1000, seed))
        for index in closed:
            sim.close_exit(index)
        sim.run(max_time_s=900)
        times.append(float(np.nanmax(sim.exit_times)))
        stuck.append(sim.agent_count)
    ratio = times[1] / times[0]
    return RimeaResult(
        9,
        "1,000 persons, 4 doors, then doors 1 and 2 closed",
        "evacuation time ratio 1.6-2.4, nobody stuck",
        f"{times[0]:.0f} s -> {times[1]:.0f} s (x{ratio:.2f}); stuck {stuck[0]} / {stuck[1]}",
        1.6 <= ratio <= 2.4 and stuck == [0, 0],
    )


def test_10(seed: int = 0) -> RimeaResult:
    """Rooms along a corridor, each room's people assigned to one of two exits."""
    corridor = box(0, 0, 36, 2)
    rooms = [box(6 * k, 2, 6 * k + 5, 7) for k in range(6)] + [
        box(6 * k, -5, 6 * k + 5, 0) for k in range(6)
    ]
    doors = [box(6 * k + 2, 1.9, 6 * k + 3, 2.1) for k in range(6)] + [
        box(6 * k + 2, -0.1, 6 * k + 3, 0.1) for k in range(6)
    ]
    area = shapely.union_all(
        [corridor, *rooms, *doors, box(-0.5, 0.5, 0, 1.5), box(36, 0.5, 36.5, 1.5)]
    )
    exits = [box(-0.5, 0.5, -0.3, 1.5), box(36.3, 0.5, 36.5, 1.5)]
    sim = Simulation(walkable_area=area, exits=exits, seed=seed)
    assigned = []
    for index, room in enumerate(rooms):
        x0, y0, x1, y1 = room.bounds
        exit_index = 1 if index % 6 < 2 else 0  # rooms near the west end sent east, and vice versa
        ids = sim.add_agents(
            positions=_grid(x0 + 0.5, x1 - 0.5, y0 + 0.5, y1 - 0.5, 8, seed + index),
            exit=exit_index,
        )
        assigned += [exit_index] * len(ids)
    sim.run(max_time_s=400)
    right = int(np.sum(sim.exits_used == np.array(assigned)))
    return RimeaResult(
        10,
        "12 rooms on a corridor, assigned exits",
        "everyone uses the assigned exit",
        f"{right}/{len(assigned)} used their assigned exit",
        right == len(assigned),
    )


def test_11(seed: int = 0) -> RimeaResult:
    """30 m x 20 m, two 1 m exits on the east wall; 1,000 people in the southern part."""
    doors = [box(30, 2, 30.5, 3), box(30, 17, 30.5, 18)]
    area = shapely.union_all([box(0, 0, 30, 20), *doors])
    exits = [box(30.3, 2, 30.5, 3), box(30.3, 17, 30.5, 18)]
    sim = Simulation(walkable_area=area, exits=exits, seed=seed)
    sim.add_agents(positions=_grid(0.5, 29.5, 0.5, 11.5, 1000, seed))
    sim.run(max_time_s=900)
    used = sim.exits_used
    near = int(np.sum(used == 0))
    far = int(np.sum(used == 1))
    ok = sim.agent_count == 0 and near > far and far >= 50
    return RimeaResult(
        11,
        "two exits on one wall, 1,000 persons nearer one",
        "most use the near exit, some switch to the other",
        f"{near} through the near exit, {far} through the far one",
        ok,
    )


def test_12(seed: int = 0) -> RimeaResult:
    """Room, a 5 m x 1 m corridor, room with a 1 m exit: congestion only in the first room."""
    area = shapely.union_all(
        [box(0, 0, 10, 10), box(10, 4.5, 15, 5.5), box(15, 0, 25, 10), box(25, 4.5, 25.5, 5.5)]
    )
    sim = Simulation(walkable_area=area, exits=[box(25.3, 4.5, 25.5, 5.5)], seed=seed)
    sim.add_agents(positions=_grid(0.5, 9.5, 0.5, 9.5, 150, seed))
    # Congestion: people standing or shuffling (below 0.3 m/s) in a room.
    jam_first = jam_second = 0
    while sim.agent_count and sim.time < 600:
        sim.step(10)
        p, speed = sim.positions, np.hypot(*sim.velocities.T)
        slow = speed < 0.3
        jam_first = max(jam_first, int(np.count_nonzero(slow & (p[:, 0] < 10))))
        jam_second = max(jam_second, int(np.count_nonzero(slow & (p[:, 0] > 15) & (p[:, 0] < 25))))
    ok = sim.agent_count == 0 and jam_second <= 5 and jam_first >= 20
    return RimeaResult(
        12,
        "room -> 5 m x 1 m corridor -> room with 1 m exit, 150 persons",
        "congestion forms in the first room only",
        f"at most {jam_first} people jammed (< 0.3 m/s) in the first room, "
        f"{jam_second} in the second",
        ok,
    )


def test_15(seed: int = 0) -> RimeaResult:
    """500 people, 20 m wide: straight 44 m, round a corner (inner edge 44 m, outer 75.4 m), and
    straight 75.4 m. The corner time must lie between the two straight times."""
    start = _grid(0.5, 10.0, 0.5, 19.5, 500, seed)

    def evacuation_time(area: BaseGeometry, exit_polygon: Polygon) -> float:
        sim = Simulation(walkable_area=area, exits=[exit_polygon], seed=seed, resolution=0.2)
        sim.add_agents(positions=start)
        sim.run(max_time_s=600)
        return float(np.nanmax(sim.exit_times)) if sim.agent_count == 0 else float("inf")

    outer_arc = Point(22, 20).buffer(20, quad_segs=32).intersection(box(22, 0, 42, 20))
    corner = shapely.union_all([box(0, 0, 22, 20), outer_arc, box(22, 20, 42, 42)])
    straight_short = evacuation_time(box(0, 0, 44, 20), box(43.8, 0, 44, 20))
    around = evacuation_time(corner, box(22, 41.8, 42, 42))
    straight_long = evacuation_time(box(0, 0, 75.4, 20), box(75.2, 0, 75.4, 20))
    return RimeaResult(
        15,
        "500 persons, 20 m wide corridor with a corner",
        "corner time between the straight 44 m and 75.4 m times",
        f"straight 44 m: {straight_short:.1f} s, corner: {around:.1f} s, "
        f"straight 75.4 m: {straight_long:.1f} s",
        straight_short <= around <= straight_long,
    )


def test_4(seed: int = 0) -> RimeaResult:
    """The fundamental diagram in a 1000 m x 10 m corridor at 0.5-6 persons/m² (documented beside
    Weidmann's curve); it must fall as the density rises."""
    points = corridor_diagram(seed=seed)
    speeds = [p.speed_m_s for p in points]
    table = ", ".join(
        f"set {p.set_density:g}: {p.density:.2f}/m² {p.speed_m_s:.2f} m/s "
        f"(Weidmann {weidmann_speed(p.density):.2f})"
        for p in points
    )
    return RimeaResult(
        4,
        "fundamental diagram, 1000 m x 10 m corridor, 0.5-6 /m²",
        "document the diagram; speed falls as density rises",
        table,
        all(b < a for a, b in itertools.pairwise(speeds)),
    )


def test_16(seed: int = 0) -> RimeaResult:
    """Single file on a 26 m ring: every point inside the measured 10-90 % speed band."""
    points = ring_diagram(seed=seed)
    inside = [inside_rimea_16_band(p) for p in points]
    table = ", ".join(
        f"{p.density:.2f}/m {p.speed_m_s:.2f} m/s{'' if ok else ' (outside)'}"
        for p, ok in zip(points, inside, strict=True)
    )
    return RimeaResult(
        16,
        "single-file ring fundamental diagram, 26 m ring, 14-56 persons",
        "inside the 10-90 % band of the measured speeds",
        table,
        all(inside),
    )


TESTS: dict[int, Callable[[int], RimeaResult]] = {
    1: test_1,
    4: test_4,
    5: test_5,
    6: test_6,
    7: test_7,
    9: test_9,
    10: test_10,
    11: test_11,
    12: test_12,
    15: test_15,
    16: test_16,
}


def run_tests(numbers: list[int] | None = None, *, seed: int = 0) -> list[RimeaResult]:
    """Run the chosen tests (all by default), in order."""
    chosen = numbers or sorted(TESTS)
    return [TESTS[n](seed) for n in chosen]
