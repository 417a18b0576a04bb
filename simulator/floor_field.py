"""Floor fields: travel time to a target over the walkable raster (fast marching), and its slope."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import skfmm

from evac.errors import SimulationError
from simulator.kernels import downhill

# Walking is slowed within this distance of a wall, so that routes round corners keep clear of
# them instead of grazing the corner (people do: the boundary layer is 0.15-0.20 m, SFPE).
_WALL_COMFORT_M = 0.6
_MIN_WALL_SPEED = 0.35


@dataclass(frozen=True)
class FloorField:
    """Travel time (s at unit speed: metres of comfortable walking) and unit direction fields."""

    travel_time: npt.NDArray[np.float64]
    direction_x: npt.NDArray[np.float32]
    direction_y: npt.NDArray[np.float32]


def compute_floor_field(
    walkable: npt.NDArray[np.bool_],
    distance_to_wall: npt.NDArray[np.float32],
    target: npt.NDArray[np.bool_],
    *,
    resolution: float,
    cost: npt.NDArray[np.float32] | None = None,
) -> FloorField:
    """Eikonal travel time from every walkable cell to the target cells, and the way downhill.

    `cost` (>= 1, per cell) slows walking where a hazard makes it undesirable; cells with an
    infinite cost are impassable.
    """
    if not (target & walkable).any():
        raise SimulationError("the target has no walkable cell")
    speed = np.clip(distance_to_wall / _WALL_COMFORT_M, _MIN_WALL_SPEED, 1.0).astype(np.float64)
    passable = walkable.copy()
    if cost is not None:
        if cost.shape != walkable.shape or np.any(cost < 1.0):
            raise SimulationError("cost must have the grid's shape and be >= 1 everywhere")
        passable &= np.isfinite(cost)
        speed = speed / np.where(np.isfinite(cost), cost, 1.0)
    phi = np.where(target & passable, -1.0, 1.0)
    phi_masked = np.ma.MaskedArray(phi, mask=~passable)
    time = skfmm.travel_time(phi_masked, np.ma.MaskedArray(speed, mask=~passable), dx=resolution)
    travel = np.ma.filled(time, np.inf).astype(np.float64)
    travel[target & passable] = 0.0
    travel[~passable] = np.inf
    return FloorField(travel, *downhill(travel, resolution))
