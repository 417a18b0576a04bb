"""Routes that avoid crowds: floor fields whose walking cost rises with the local density.

The static floor field sends everyone bound for one target along one shortest path, so a crowd
turning a corner cuts the inside of the turn and walks on in lanes along the inner wall (the
corner validation: where people cross the corner's diagonal, 90th percentile 1.32 m from the
inner corner against 1.94 m measured). In Hughes' continuum model (2002) people minimise the
travel time at the speed the crowd lets them walk; here every `update_interval_s` the fields
are computed again with a cost of v_free / v_Weidmann(ρ) per cell, ρ the density smoothed over
`smoothing_m` and capped at `density_cap_per_m2`. The cap keeps the queue in front of a door
from sending its own people round itself (uncapped, the Wuppertal door's flow fell by 14-21 %).

This is an option (off by default): the cap and smoothing were chosen on the corner and the
Wuppertal door; on the other validation cases it is closer to the measurements in 20 of 33
quantities but makes the bidirectional corridor's slowest walkers slower than measured
(docs/validation/crowd_aware_routing.md). Recomputing every field in use every half second is
affordable on a laboratory's raster, not on a city's (2.2 s per update on the bundled site).
Free choosers' exit choice reads the same fields, so there the crowd's cost (at most 1.66 times
the walking time, by the cap) adds to the queue the choice counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.ndimage import gaussian_filter

from evac.errors import SimulationError

# Weidmann (1993): v(ρ) = v_free (1 - exp(-gamma (1/ρ - 1/ρ_max))).
WEIDMANN_GAMMA_PER_M2 = 1.913
WEIDMANN_MAX_DENSITY_PER_M2 = 5.4


@dataclass(frozen=True, kw_only=True)
class CrowdAwareRouting:
    """Recompute the floor fields every `update_interval_s` with a walking cost that rises with
    the local density (smoothed with a Gaussian of `smoothing_m`, capped at
    `density_cap_per_m2`)."""

    update_interval_s: float = 0.5
    smoothing_m: float = 0.4
    density_cap_per_m2: float = 1.5

    def __post_init__(self) -> None:
        for name in ("update_interval_s", "smoothing_m", "density_cap_per_m2"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise SimulationError(f"CrowdAwareRouting.{name} must be positive, got {value!r}")
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


def crowd_cost(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    *,
    routing: CrowdAwareRouting,
    walkable: npt.NDArray[np.bool_],
    x_min: float,
    y_min: float,
    resolution: float,
) -> npt.NDArray[np.float32]:
    """The cost (>= 1) a floor field gives each cell for the crowd at positions x, y."""
    density = smoothed_density(
        x, y, walkable=walkable, x_min=x_min, y_min=y_min, resolution=resolution,
        smoothing_m=routing.smoothing_m,
    )  # fmt: skip
    capped = np.minimum(density, routing.density_cap_per_m2)
    return np.maximum(weidmann_slowdown(capped), 1.0).astype(np.float32)
