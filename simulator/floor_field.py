"""Floor fields: travel time to a target over the walkable raster (fast marching), and its slope."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

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
    if cost is not None:
        if cost.shape != walkable.shape or np.any(cost < 1.0):
            raise SimulationError("cost must have the grid's shape and be >= 1 everywhere")
        speed = speed / np.where(np.isfinite(cost), cost, 1.0)
    passable = passable_cells(walkable, cost)
    phi = np.where(target & passable, -1.0, 1.0)
    phi_masked = np.ma.MaskedArray(phi, mask=~passable)
    time = skfmm.travel_time(phi_masked, np.ma.MaskedArray(speed, mask=~passable), dx=resolution)
    travel = np.ma.filled(time, np.inf).astype(np.float64)
    travel[target & passable] = 0.0
    travel[~passable] = np.inf
    return FloorField(travel, *downhill(travel, resolution))


def passable_cells(
    walkable: npt.NDArray[np.bool_], cost: npt.NDArray[np.float32] | None
) -> npt.NDArray[np.bool_]:
    """The cells a floor field crosses: the walkable ones whose cost is finite (a new array)."""
    return walkable.copy() if cost is None else walkable & np.isfinite(cost)


class FieldStack:
    """The floor fields of the targets in use, stacked for the kernels (direction x, direction y,
    travel time as float32, one slot per target). Slots stay put: a target that comes into use
    fills a free slot and one out of use frees its slot, so a change of targets copies only the
    new fields (a city run changes them hundreds of times as people pass waypoints)."""

    def __init__(self) -> None:
        self.slot_of: dict[int, int] = {}
        self.direction_x = np.zeros((0, 0, 0), dtype=np.float32)
        self.direction_y = np.zeros((0, 0, 0), dtype=np.float32)
        self.travel_time = np.zeros((0, 0, 0), dtype=np.float32)

    def clear(self) -> None:
        """Forget every slot (the fields changed); the memory is kept for the next fields."""
        self.slot_of.clear()

    def update(self, keys: Iterable[int], field: Callable[[int], FloorField]) -> None:
        """Hold exactly the fields of `keys`; `field(key)` gives a field not yet held."""
        wanted = set(keys)
        for key in [k for k in self.slot_of if k not in wanted]:
            del self.slot_of[key]
        new = {key: field(key) for key in sorted(wanted - self.slot_of.keys())}
        if not new:
            return
        self._reserve(len(wanted), next(iter(new.values())).travel_time.shape)
        free = iter(sorted(set(range(self.travel_time.shape[0])) - set(self.slot_of.values())))
        for key, f in new.items():
            slot = next(free)
            self.direction_x[slot] = f.direction_x
            self.direction_y[slot] = f.direction_y
            self.travel_time[slot] = f.travel_time
            self.slot_of[key] = slot

    def _reserve(self, slots: int, shape: tuple[int, ...]) -> None:
        """Room for `slots` fields of `shape`, keeping the fields held (capacity doubles)."""
        capacity = self.travel_time.shape[0]
        if capacity >= slots and self.travel_time.shape[1:] == shape:
            return
        if self.travel_time.shape[1:] != shape:
            self.slot_of.clear()
            capacity = 0
        grown = max(slots, 2 * capacity)
        for name in ("direction_x", "direction_y", "travel_time"):
            old = getattr(self, name)
            array = np.zeros((grown, *shape), dtype=np.float32)
            if capacity:
                array[:capacity] = old[:capacity]
            setattr(self, name, array)


class FloorFieldStore:
    """Floor fields kept in a folder under a digest of everything they are computed from, so that
    runs that share a venue and a hazard (the seeds of one plan in a ranking) compute each field
    once. The travel times of the passable cells are stored exactly (float64) and the directions
    computed again from them, so a field read back is the field computed. Processes may share
    the folder: a field is written under a temporary name and then renamed into place."""

    _FORMAT = b"floor-field 1"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.computed = 0
        self.read = 0

    def field(
        self,
        walkable: npt.NDArray[np.bool_],
        distance_to_wall: npt.NDArray[np.float32],
        target: npt.NDArray[np.bool_],
        *,
        resolution: float,
        cost: npt.NDArray[np.float32] | None = None,
    ) -> FloorField:
        """`compute_floor_field` with these arguments, read from the folder if it is there."""
        digest = hashlib.sha1(self._FORMAT)
        # The settings of the computation too: a resumed ranking must not read fields of old code.
        settings = (walkable.shape, resolution, cost is None, _WALL_COMFORT_M, _MIN_WALL_SPEED)
        digest.update(repr(settings).encode())
        for array in (walkable, distance_to_wall, target) + (() if cost is None else (cost,)):
            digest.update(np.ascontiguousarray(array).data)
        path = self.folder / f"{digest.hexdigest()}.npy"
        passable = passable_cells(walkable, cost)
        try:
            values = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            values = None
        if values is not None and values.dtype == np.float64 and values.size == passable.sum():
            travel = np.full(walkable.shape, np.inf)
            travel[passable] = values
            self.read += 1
            return FloorField(travel, *downhill(travel, resolution))
        field = compute_floor_field(
            walkable, distance_to_wall, target, resolution=resolution, cost=cost
        )
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npy")
        np.save(partial, field.travel_time[passable], allow_pickle=False)
        partial.replace(path)
        self.computed += 1
        return field
