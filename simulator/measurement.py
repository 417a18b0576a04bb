"""Crowd measurements the engine reports: local density and flow through measurement lines."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from shapely.geometry import LineString

from evac.errors import SimulationError
from simulator import kernels

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
DENSITY_RADIUS_M = 1.0
# Measurement lines are listed per square tile of LINE_TILE_M: a move of at most LINE_REACH_M
# (a runner at 2.5 m/s covers 1.25 m in the longest time step, 0.5 s) is tested only against the
# lines of the tile it starts in; a longer one against all of them.
LINE_TILE_M = 8.0
LINE_REACH_M = 2.0


def local_densities(positions: FloatArray, *, radius_m: float = DENSITY_RADIUS_M) -> FloatArray:
    """Each person's local density (persons/m²): the people within `radius_m`, the person
    included, over the circle's area. With 1 m, one person alone reads 0.32/m²; Fruin's level F
    (> 2.17/m²) needs 7 people within a metre, the critical 4/m² needs 13."""
    n = positions.shape[0]
    if n == 0:
        return np.zeros(0)
    x = np.ascontiguousarray(positions[:, 0], dtype=np.float64)
    y = np.ascontiguousarray(positions[:, 1], dtype=np.float64)
    x_min, y_min = float(x.min()), float(y.min())
    columns = int((float(x.max()) - x_min) / radius_m) + 1
    rows = int((float(y.max()) - y_min) / radius_m) + 1
    everyone = np.arange(n, dtype=np.int64)
    cell_start, ordered = kernels.build_cell_list(
        x, y, everyone, x_min, y_min, radius_m, columns, rows
    )
    counts = kernels.neighbour_counts(
        x, y, cell_start, ordered, x_min, y_min, radius_m, columns, rows, radius_m
    )
    return counts / (np.pi * radius_m**2)


def max_density_per_m2(positions: FloatArray, *, radius_m: float = DENSITY_RADIUS_M) -> float:
    """The highest local density (see `local_densities`) in persons/m²; 0 with nobody."""
    if positions.shape[0] == 0:
        return 0.0
    return float(local_densities(positions, radius_m=radius_m).max())


class LineCounter:
    """Counts agents crossing a line segment, by direction (left-to-right is positive).

    `update` takes the positions of the same agents before and after a step.
    """

    def __init__(self, line: LineString, *, name: str = "") -> None:
        if not isinstance(line, LineString) or len(line.coords) != 2 or line.length <= 0:
            raise SimulationError(f"measurement line {name!r} must be a segment of two points")
        self.name = name
        (self._ax, self._ay), (self._bx, self._by) = line.coords
        self.forward = 0
        self.backward = 0

    def update(self, before: FloatArray, after: FloatArray) -> int:
        """Count the crossings between two position arrays (n, 2); returns the net count."""
        if before.shape != after.shape:
            raise SimulationError("positions before and after a step must have the same shape")
        ((forward, backward),) = kernels.count_crossings(
            np.ascontiguousarray(before[:, 0], dtype=float),
            np.ascontiguousarray(before[:, 1], dtype=float),
            np.ascontiguousarray(after[:, 0], dtype=float),
            np.ascontiguousarray(after[:, 1], dtype=float),
            np.arange(before.shape[0], dtype=np.int64),
            np.array([self.segment], dtype=float),
        )
        self.forward += int(forward)
        self.backward += int(backward)
        return int(forward - backward)

    @property
    def segment(self) -> tuple[float, float, float, float]:
        """(ax, ay, bx, by): the line from a to b."""
        return (self._ax, self._ay, self._bx, self._by)

    @property
    def net(self) -> int:
        return self.forward - self.backward


@dataclass(frozen=True)
class LineTiles:
    """The measurement lines near each square tile of an extent, for counting crossings without
    testing every move against every line: a move of at most `reach_m` that crosses a line
    starts in a tile that lists it (a tile lists the lines whose bounding box, grown by
    `reach_m`, it touches). Tile t = row * columns + column lists lines[first[t]:first[t + 1]].
    """

    x_min: float
    y_min: float
    size_m: float
    columns: int
    rows: int
    reach_m: float
    first: IntArray
    lines: IntArray


def line_tiles(
    segments: FloatArray, *, x_min: float, y_min: float, x_max: float, y_max: float,
    size_m: float = LINE_TILE_M, reach_m: float = LINE_REACH_M,
) -> LineTiles:  # fmt: skip
    """The tiles over [x_min, x_max] x [y_min, y_max] of the segments (rows of ax, ay, bx, by)."""
    columns = max(1, math.ceil((x_max - x_min) / size_m))
    rows = max(1, math.ceil((y_max - y_min) / size_m))

    def tile(value: float, low: float, count: int) -> int:
        return min(max(math.floor((value - low) / size_m), 0), count - 1)

    pairs: list[tuple[int, int]] = []  # (tile, line)
    for k, (ax, ay, bx, by) in enumerate(np.asarray(segments, dtype=float).reshape(-1, 4)):
        first_column = tile(min(ax, bx) - reach_m, x_min, columns)
        last_column = tile(max(ax, bx) + reach_m, x_min, columns)
        first_row = tile(min(ay, by) - reach_m, y_min, rows)
        last_row = tile(max(ay, by) + reach_m, y_min, rows)
        for row in range(first_row, last_row + 1):
            for column in range(first_column, last_column + 1):
                pairs.append((row * columns + column, k))
    listed = np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)
    first = np.zeros(columns * rows + 1, dtype=np.int64)
    first[1:] = np.cumsum(np.bincount(listed[:, 0], minlength=columns * rows))
    lines = np.ascontiguousarray(listed[:, 1])
    return LineTiles(x_min, y_min, size_m, columns, rows, reach_m, first, lines)
