"""Routes that avoid crowds: floor fields whose walking cost rises with the local density.

The static floor field sends everyone bound for one target along one shortest path, so a crowd
turning a corner cuts the inside of the turn and walks on in lanes along the inner wall (the
corner validation: where people cross the corner's diagonal, 90th percentile 1.32 m from the
inner corner against 1.94 m measured). In Hughes' continuum model (2002) people minimise the
travel time at the speed the crowd lets them walk; here every `update_interval_s` the fields
are computed again with a cost of v_free / v_Weidmann(ρ) per cell, ρ the density smoothed over
`smoothing_m` and capped at `density_cap_per_m2`. The cap keeps the queue in front of a door
from sending its own people round itself (uncapped, the Wuppertal door's flow fell by 14-21 %).
People walking against a target's way count `counterflow_weight` times in that target's cost:
with everyone counted once, two opposing streams spread into each other instead of keeping to
their lanes (the bidirectional corridor's slowest walkers 31-35 % slower than measured).

This is an option (off by default): the cap and smoothing were chosen on the corner and the
Wuppertal door, the counterflow weight on the bidirectional corridor; on the cases it was not
chosen on (the 1.8 m corridor, thirteen bottleneck widths) it is closer to the measurements in
18 of 25 quantities (docs/validation/crowd_aware_routing.md). Recomputing every field in use
every half second is affordable on a laboratory's raster, not on a city's (2.2 s per update on
the bundled site).
Free choosers' exit choice reads the same fields, so there the crowd's cost (at most 1.66 times
the walking time, by the cap) adds to the queue the choice counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.ndimage import gaussian_filter

from city_data.raster import WalkableGrid
from evac.errors import SimulationError

# Someone moving against a target's way faster than this counts as walking against it.
AGAINST_M_S = 0.1
# Weidmann (1993): v(ρ) = v_free (1 - exp(-gamma (1/ρ - 1/ρ_max))).
WEIDMANN_GAMMA_PER_M2 = 1.913
WEIDMANN_MAX_DENSITY_PER_M2 = 5.4


@dataclass(frozen=True, kw_only=True)
class CrowdAwareRouting:
    """Recompute the floor fields every `update_interval_s` with a walking cost that rises with
    the local density (smoothed with a Gaussian of `smoothing_m`, capped at
    `density_cap_per_m2`; people walking against a target's way count `counterflow_weight`
    times in its cost)."""

    update_interval_s: float = 0.5
    smoothing_m: float = 0.4
    density_cap_per_m2: float = 1.5
    counterflow_weight: float = 3.0
    """How many times someone walking against a target's way counts in that target's cost."""

    def __post_init__(self) -> None:
        for name in ("update_interval_s", "smoothing_m", "density_cap_per_m2"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise SimulationError(f"CrowdAwareRouting.{name} must be positive, got {value!r}")
        weight = self.counterflow_weight
        if not (isinstance(weight, int | float) and math.isfinite(weight) and weight >= 1):
            raise SimulationError(
                f"CrowdAwareRouting.counterflow_weight must be at least 1, got {weight!r}"
            )
        if self.density_cap_per_m2 >= WEIDMANN_MAX_DENSITY_PER_M2:
            raise SimulationError(
                "CrowdAwareRouting.density_cap_per_m2 must be below Weidmann's jam density "
                f"{WEIDMANN_MAX_DENSITY_PER_M2} /m² (walking stops there), "
                f"got {self.density_cap_per_m2!r}"
            )


def weidmann_speed_ratio(density_per_m2: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """v(ρ) / v_free of Weidmann's fundamental diagram (1993): 1 in an empty place, 0 at the jam
    density of 5.4 /m² and above."""
    rho = np.asarray(density_per_m2, dtype=np.float64)
    with np.errstate(divide="ignore"):
        inverse = np.where(rho > 0, 1.0 / np.where(rho > 0, rho, 1.0), np.inf)
    ratio = -np.expm1(-WEIDMANN_GAMMA_PER_M2 * (inverse - 1.0 / WEIDMANN_MAX_DENSITY_PER_M2))
    return np.where(rho < WEIDMANN_MAX_DENSITY_PER_M2, ratio, 0.0)


def weidmann_slowdown(density_per_m2: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """v_free / v(ρ): how many times longer walking takes at density ρ (below the jam density)."""
    ratio = weidmann_speed_ratio(density_per_m2)
    if np.any(ratio <= 0):
        raise SimulationError("density at or above Weidmann's jam density: no walking speed")
    return 1.0 / ratio


def smoothed_density(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    *,
    walkable: npt.NDArray[np.bool_],
    x_min: float,
    y_min: float,
    resolution: float,
    smoothing_m: float,
) -> npt.NDArray[np.float64]:
    """Persons per walkable m² on the raster: the count per cell smoothed with a Gaussian of
    `smoothing_m`, divided by the walkable area smoothed alike (so that a wall does not dilute
    the density beside it); 0 off the walkable area."""
    rows, columns = walkable.shape
    i = np.floor((y - y_min) / resolution).astype(np.int64)
    j = np.floor((x - x_min) / resolution).astype(np.int64)
    keep = (i >= 0) & (i < rows) & (j >= 0) & (j < columns)
    counts = np.bincount(i[keep] * columns + j[keep], minlength=rows * columns)
    sigma = smoothing_m / resolution
    people = gaussian_filter(counts.reshape(rows, columns).astype(float), sigma, mode="constant")
    area = gaussian_filter(walkable.astype(np.float64), sigma, mode="constant") * resolution**2
    density = np.zeros(walkable.shape)
    inside = walkable & (area > 0)
    density[inside] = people[inside] / area[inside]
    return density


@dataclass(frozen=True)
class CrowdCosts:
    """The walking cost (>= 1 per cell) of the crowd for each target whose way is known, and for
    any other target (everyone counted once)."""

    everyone: npt.NDArray[np.float32]
    per_target: dict[int, npt.NDArray[np.float32]]

    def for_target(self, key: int) -> npt.NDArray[np.float32]:
        return self.per_target.get(key, self.everyone)


def crowd_costs(
    positions: npt.NDArray[np.float64],
    velocities: npt.NDArray[np.float64],
    *,
    routing: CrowdAwareRouting,
    grid: WalkableGrid,
    ways: Mapping[int, tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]],
) -> CrowdCosts:
    """The crowd's cost for each target in `ways` (its unit direction field, x and y, on the
    grid): v_free / v_Weidmann of the smoothed density, capped, in which whoever moves against
    that way (faster than AGAINST_M_S) counts `routing.counterflow_weight` times; for any other
    target everyone counts once."""

    def density(chosen: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return smoothed_density(
            chosen[:, 0], chosen[:, 1], walkable=grid.walkable, x_min=grid.x_min,
            y_min=grid.y_min, resolution=grid.resolution, smoothing_m=routing.smoothing_m,
        )  # fmt: skip

    def cost(rho: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
        capped = np.minimum(rho, routing.density_cap_per_m2)
        return np.maximum(weidmann_slowdown(capped), 1.0).astype(np.float32)

    everyone = density(positions)
    rows, columns = grid.cell_of(positions[:, 0], positions[:, 1])
    rows = np.clip(rows, 0, grid.shape[0] - 1)
    columns = np.clip(columns, 0, grid.shape[1] - 1)
    per_target = {}
    for key, (way_x, way_y) in ways.items():
        along = velocities[:, 0] * way_x[rows, columns] + velocities[:, 1] * way_y[rows, columns]
        against = along < -AGAINST_M_S
        rho = everyone
        if routing.counterflow_weight > 1 and against.any():
            rho = everyone + (routing.counterflow_weight - 1) * density(positions[against])
        per_target[key] = cost(rho)
    return CrowdCosts(everyone=cost(everyone), per_target=per_target)
