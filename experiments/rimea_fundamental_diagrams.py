"""RiMEA tests 4 and 16: the fundamental diagram in a wide corridor and in single file on a ring.

Test 4 fills a 1000 m x 10 m corridor at set densities and measures density and speed in 2 m x 2 m
areas at 450, 500 and 550 m, far from both ends (the disturbance from the exit travels back at
most at walking speed). Test 16 walks N people round a ring of the Jülich single-file experiment's
length (26 m, 0.6 m wide: one file) and compares their mean speed at each density with the
10-90 % band of the measured speeds (`rimea16_1D_FD_percentile_reference.csv`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import Point, box

from experiments import VALIDATION_DATA
from simulator import Simulation
from simulator.crowd_aware_routing import weidmann_speed_ratio

FloatArray = npt.NDArray[np.float64]
RIMEA_16_REFERENCE = VALIDATION_DATA / "rimea" / "rimea16_1D_FD_percentile_reference.csv"
RIMEA_4_DENSITIES = (0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
RIMEA_4_MEASURING_AT_M = (450.0, 500.0, 550.0)
RING_CIRCUMFERENCE_M = 26.0
RING_WIDTH_M = 0.6
RIMEA_16_PEOPLE = (14, 20, 28, 39, 45, 56)  # among the Jülich runs' N (n14.dat ... n56.dat)
_WAYPOINTS_ON_RING = 8


@dataclass(frozen=True)
class DiagramPoint:
    """One measured point of a fundamental diagram."""

    set_density: float
    """The density the set-up starts with (1/m² in 2D, 1/m in single file)."""
    density: float
    speed_m_s: float


def weidmann_speed(density: float) -> float:
    """Weidmann (1993): v = 1.34·(1 - exp(-1.913·(1/ρ - 1/5.4))) m/s, 0 at 5.4 /m² and above."""
    return 1.34 * float(weidmann_speed_ratio(density))


def hexagonal_positions(
    x0: float, x1: float, y0: float, y1: float, density: float, rng: np.random.Generator
) -> FloatArray:
    """Points on a hexagonal lattice of the given density (1/m²) filling the rectangle, each moved
    by up to 2 cm (a random start that keeps the lattice's spacing, even at 6 /m²)."""
    spacing = math.sqrt(2.0 / (math.sqrt(3.0) * density))
    row_step = spacing * math.sqrt(3.0) / 2.0
    rows = []
    for r, y in enumerate(np.arange(y0 + row_step / 2, y1, row_step)):
        xs = np.arange(x0 + spacing / 2 + (spacing / 2 if r % 2 else 0.0), x1, spacing)
        rows.append(np.column_stack([xs, np.full(xs.size, y)]))
    points = np.concatenate(rows)
    return np.asarray(points + rng.uniform(-0.02, 0.02, points.shape), dtype=float)


def corridor_diagram(
    *, densities: tuple[float, ...] = RIMEA_4_DENSITIES, length_m: float = 1000.0,
    width_m: float = 10.0, measuring_at_m: tuple[float, ...] = RIMEA_4_MEASURING_AT_M,
    from_s: float = 10.0, until_s: float = 40.0, seed: int = 0,
) -> list[DiagramPoint]:  # fmt: skip
    """RiMEA test 4: per set density, the mean density and speed in 2 m x 2 m areas centred on
    the corridor's axis at `measuring_at_m`, sampled every second from `from_s` to `until_s`."""
    points = []
    for density in densities:
        rng = np.random.default_rng(seed)
        sim = Simulation(
            walkable_area=box(0, 0, length_m, width_m),
            exits=[box(length_m - 0.2, 0, length_m, width_m)],
            seed=seed,
        )
        sim.add_agents(positions=hexagonal_positions(0, length_m, 0, width_m, density, rng))
        counts: list[int] = []
        speeds: list[float] = []
        while sim.time < until_s - 1e-9:
            sim.step(round(1.0 / sim.dt))
            if sim.time < from_s - 1e-9:
                continue
            position, speed = sim.positions, np.hypot(*sim.velocities.T)
            for x in measuring_at_m:
                inside = (np.abs(position[:, 0] - x) <= 1.0) & (
                    np.abs(position[:, 1] - width_m / 2) <= 1.0
                )
                counts.append(int(np.count_nonzero(inside)))
                speeds.extend(speed[inside].tolist())
        points.append(
            DiagramPoint(
                set_density=density,
                density=float(np.mean(counts)) / 4.0,
                speed_m_s=float(np.mean(speeds)) if speeds else float("nan"),
            )
        )
    return points


def ring_diagram(
    *, people: tuple[int, ...] = RIMEA_16_PEOPLE, circumference_m: float = RING_CIRCUMFERENCE_M,
    from_s: float = 30.0, until_s: float = 120.0, seed: int = 0,
) -> list[DiagramPoint]:  # fmt: skip
    """RiMEA test 16: per number of people on the ring, the density (people per metre of the
    ring's centre line) and their mean speed along it from `from_s` to `until_s`.

    The ring is walked anticlockwise: everyone heads for the next of eight waypoints (thin radial
    slices) ahead of them, re-aimed every step, so nobody ever reaches the end of a route.
    """
    radius = circumference_m / (2 * math.pi)
    centre = Point(0, 0)
    ring = centre.buffer(radius + RING_WIDTH_M / 2, quad_segs=64).difference(
        centre.buffer(radius - RING_WIDTH_M / 2, quad_segs=64)
    )
    angles = np.arange(_WAYPOINTS_ON_RING) * 2 * math.pi / _WAYPOINTS_ON_RING
    reach = radius + RING_WIDTH_M
    waypoints = [
        shapely.Polygon(
            [
                (0, 0),
                (reach * math.cos(a), reach * math.sin(a)),
                (reach * math.cos(a + 0.03), reach * math.sin(a + 0.03)),
            ]
        ).intersection(ring)
        for a in angles
    ]
    # An exit between two waypoints that nobody takes (everyone always has a waypoint ahead);
    # the engine needs one.
    between = angles[1] / 2
    exit_area = Point(radius * math.cos(between), radius * math.sin(between)).buffer(0.15)
    points = []
    for n in people:
        sim = Simulation(
            walkable_area=ring, exits=[exit_area], waypoints=waypoints, seed=seed, resolution=0.05
        )
        rng = np.random.default_rng(seed)
        start_angle = np.arange(n) * 2 * math.pi / n + rng.uniform(-0.01, 0.01, n)
        sim.add_agents(
            positions=np.column_stack([radius * np.cos(start_angle), radius * np.sin(start_angle)])
        )
        travelled = np.zeros(n)
        radii: list[float] = []
        previous = np.arctan2(sim.positions[:, 1], sim.positions[:, 0])
        while sim.time < until_s - 1e-9:
            _aim_at_next_waypoint(sim, angles)
            sim.step()
            position = sim.positions
            angle = np.arctan2(position[:, 1], position[:, 0])
            turned = (angle - previous + math.pi) % (2 * math.pi) - math.pi
            previous = angle
            if sim.time > from_s:
                distance = np.hypot(position[:, 0], position[:, 1])
                travelled += turned * distance
                radii.extend(distance.tolist())
        path_length = 2 * math.pi * float(np.mean(radii))
        points.append(
            DiagramPoint(
                set_density=n / circumference_m,
                density=n / path_length,
                speed_m_s=float(travelled.mean()) / (until_s - from_s),
            )
        )
    return points


def _aim_at_next_waypoint(sim: Simulation, angles: FloatArray) -> None:
    """Send everyone to the first waypoint anticlockwise ahead of them (exit 0 after it, which
    they never get to: they are re-aimed before they would turn to it)."""
    position = sim.positions
    angle = np.arctan2(position[:, 1], position[:, 0]) % (2 * math.pi)
    ahead = np.searchsorted(angles, angle, side="right") % angles.size
    for k in np.unique(ahead):
        sim.set_route(sim.ids[ahead == k], route=(int(k),), exit=0)


def rimea_16_band() -> tuple[FloatArray, FloatArray, FloatArray]:
    """The measured single-file speeds' 10 % and 90 % points by density: (density [1/m],
    v10 [m/s], v90 [m/s]), read from the RiMEA reference (semicolons, decimal commas)."""
    rows = []
    for line in RIMEA_16_REFERENCE.read_text(encoding="utf-8").splitlines():
        fields = [f.strip().replace(",", ".") for f in line.split(";")]
        try:
            rows.append([float(f) for f in fields[:4]])
        except ValueError:
            continue  # the title and unit lines
    table = np.array(rows)
    return table[:, 0], table[:, 1], table[:, 3]


def inside_rimea_16_band(point: DiagramPoint) -> bool:
    """Whether a point's speed lies in the measured 10-90 % band at its density."""
    density, low, high = rimea_16_band()
    lo = float(np.interp(point.density, density, low))
    hi = float(np.interp(point.density, density, high))
    return lo <= point.speed_m_s <= hi
