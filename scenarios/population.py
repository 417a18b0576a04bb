"""Who is where at the start: people by stadium sector and outside zone, with pre-movement times,
desired speeds by demography and small groups that walk together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from evac.errors import ScenarioError

FloatArray = npt.NDArray[np.float64]
Keep = Callable[[FloatArray], npt.NDArray[np.bool_]]

# Desired walking speeds (m/s) by demographic class: normal distributions, clipped to 0.4-2.0.
# Adults: Weidmann (1993), 1.34 ± 0.26. Elderly and children: read off Weidmann's speed-by-age
# curve as used for RiMEA test 7 (people over 65 about 1.0 m/s, under 12 about 1.1 m/s); the
# spreads are a guess.
SPEEDS_M_S = {"adults": (1.34, 0.26), "elderly": (1.0, 0.2), "children": (1.1, 0.25)}


@dataclass(frozen=True, kw_only=True)
class PreMovement:
    """Pre-movement time: lognormal with this median and shape (sigma of the log), cut at max_s."""

    median_s: float
    sigma: float
    max_s: float

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        times = rng.lognormal(np.log(self.median_s), self.sigma, size=n)
        return np.minimum(times, self.max_s)


@dataclass(frozen=True, kw_only=True)
class Demography:
    """Shares of adults, elderly people and children (summing to 1)."""

    adults: float = 0.85
    elderly: float = 0.10
    children: float = 0.05

    def sample_speeds(self, rng: np.random.Generator, n: int) -> FloatArray:
        shares = np.array([self.adults, self.elderly, self.children])
        kinds = rng.choice(3, size=n, p=shares / shares.sum())
        means = np.array([SPEEDS_M_S[k][0] for k in ("adults", "elderly", "children")])
        spreads = np.array([SPEEDS_M_S[k][1] for k in ("adults", "elderly", "children")])
        return np.clip(rng.normal(means[kinds], spreads[kinds]), 0.4, 2.0)


@dataclass(frozen=True, kw_only=True)
class Origin:
    """One place people start from: a stadium sector or an outside zone."""

    name: str
    area: BaseGeometry
    count: int
    in_stadium: bool
    groups: tuple[str, ...] = ()
    """Names this origin answers to in a response plan (its stand, "stadium" or "outside")."""


@dataclass(frozen=True)
class Population:
    """Everyone at the start, one row per person, in the order they are added to the engine."""

    positions: FloatArray
    start_time: FloatArray
    desired_speed: FloatArray
    origin: npt.NDArray[np.int64]
    """Index into `origins` for each person."""
    origins: tuple[Origin, ...]


def place_population(
    origins: tuple[Origin, ...],
    rng: np.random.Generator,
    *,
    radius: float,
    stadium_pre_movement: PreMovement,
    outside_pre_movement: PreMovement,
    demography: Demography,
    group_share: float,
    keep: Keep | None = None,
) -> Population:
    """Place every origin's people, draw their start times and speeds, and form groups: runs of
    2-4 neighbours (a `group_share` of everyone) who share the slowest member's speed and the
    last member's start time, so that they leave and walk together."""
    positions, starts, speeds, origin_index = [], [], [], []
    for index, origin in enumerate(origins):
        points = place_agents(
            origin.area, origin.count, rng, radius=radius, key=origin.name, keep=keep
        )
        pre = stadium_pre_movement if origin.in_stadium else outside_pre_movement
        start = pre.sample(rng, origin.count)
        speed = demography.sample_speeds(rng, origin.count)
        _form_groups(points, start, speed, rng, share=group_share)
        positions.append(points)
        starts.append(start)
        speeds.append(speed)
        origin_index.append(np.full(origin.count, index, dtype=np.int64))
    return Population(
        positions=np.concatenate(positions),
        start_time=np.concatenate(starts),
        desired_speed=np.concatenate(speeds),
        origin=np.concatenate(origin_index),
        origins=origins,
    )


def _form_groups(
    points: FloatArray, start: FloatArray, speed: FloatArray, rng: np.random.Generator, *,
    share: float,
) -> None:  # fmt: skip
    """Group neighbours in place (points come in grid-row order, so neighbours are adjacent)."""
    k = 0
    n = points.shape[0]
    while k < n:
        size = int(rng.integers(2, 5))
        if rng.random() < share / size * 2 and k + size <= n:
            members = slice(k, k + size)
            speed[members] = speed[members].min()
            start[members] = start[members].max()
            k += size
        else:
            k += 1


def place_agents(
    area: BaseGeometry, count: int, rng: np.random.Generator, *, radius: float, key: str,
    keep: Keep | None = None,
) -> FloatArray:  # fmt: skip
    """`count` random positions in `area`, at least two radii apart (a jittered hexagonal grid),
    in grid-row order; `keep` can rule out candidate points (those that cannot reach any exit)."""
    inner = area.buffer(-radius)
    capacity_spacing = 2 * radius + 0.02
    if inner.is_empty:
        raise ScenarioError(f"{key} is too narrow for anyone to stand in")
    spacing = max(np.sqrt(inner.area / (count * 0.866)), capacity_spacing)
    while True:
        candidates = _hexagonal_grid(inner, spacing)
        if keep is not None and candidates.shape[0]:
            candidates = candidates[keep(candidates)]
        if candidates.shape[0] >= count or spacing <= capacity_spacing:
            break
        spacing = max(spacing * 0.92, capacity_spacing)
    if candidates.shape[0] < count:
        raise ScenarioError(
            f"{key}: {count} people do not fit in {area.area:.0f} m² "
            f"(at most about {candidates.shape[0]} at {capacity_spacing:.2f} m apart)"
        )
    chosen = candidates[np.sort(rng.choice(candidates.shape[0], count, replace=False))]
    # Each coordinate moves at most `slack`, so two neighbours close in by at most 2·√2·slack.
    slack = max(0.0, (spacing - 2 * radius) / (2 * np.sqrt(2)) - 1e-6)
    jittered = chosen + rng.uniform(-slack, slack, chosen.shape)
    ok = shapely.contains_xy(inner, jittered[:, 0], jittered[:, 1])
    if keep is not None:
        ok &= keep(jittered)
    chosen[ok] = jittered[ok]
    return np.asarray(chosen, dtype=float)


def _hexagonal_grid(area: BaseGeometry, spacing: float) -> FloatArray:
    """The points of a hexagonal grid of the given spacing that lie in the area (row by row)."""
    x0, y0, x1, y1 = area.bounds
    rows = np.arange(y0, y1 + spacing, spacing * 0.866)
    columns = np.arange(x0, x1 + spacing, spacing)
    xs = columns[None, :] + np.where(np.arange(rows.size) % 2 == 1, spacing / 2, 0.0)[:, None]
    ys = np.broadcast_to(rows[:, None], xs.shape)
    points = np.column_stack([xs.ravel(), ys.ravel()])
    inside = shapely.contains_xy(area, points[:, 0], points[:, 1])
    return np.asarray(points[inside], dtype=float)
