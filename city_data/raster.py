"""Rasterising the walkable area: a walkable mask and the distance to the nearest wall."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from scipy import ndimage
from shapely.geometry.base import BaseGeometry

from evac.errors import SiteError

# Cells are tested in blocks of rows to keep memory flat on large grids.
_ROWS_PER_BLOCK = 256


@dataclass(frozen=True)
class WalkableGrid:
    """A regular grid over the site. Cell (row i, column j) has its centre at
    (x_min + (j + 0.5)·resolution, y_min + (i + 0.5)·resolution); rows run south to north.
    """

    x_min: float
    y_min: float
    resolution: float
    walkable: npt.NDArray[np.bool_]
    """True where the cell centre lies in the walkable area."""
    distance_to_wall: npt.NDArray[np.float32]
    """Metres from a walkable cell's centre to the nearest non-walkable cell's centre; 0 outside."""

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return (int(self.walkable.shape[0]), int(self.walkable.shape[1]))

    def cell_of(
        self, x: npt.ArrayLike, y: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """Row and column indices of the cells holding the points (not clipped to the grid)."""
        column = np.floor((np.asarray(x) - self.x_min) / self.resolution).astype(np.intp)
        row = np.floor((np.asarray(y) - self.y_min) / self.resolution).astype(np.intp)
        return row, column


def rasterise(
    area: BaseGeometry,
    *,
    resolution: float = 0.5,
    bounds: tuple[float, float, float, float] | None = None,
    max_cells: int = 60_000_000,
) -> WalkableGrid:
    """Rasterise a walkable area (local metres) at `resolution` metres per cell.

    `bounds` (x_min, y_min, x_max, y_max) defaults to the area's bounds plus one cell all round, so
    that the border of the grid is always a wall.
    """
    if not resolution > 0:
        raise SiteError(f"raster resolution must be positive, got {resolution}")
    if area.is_empty:
        raise SiteError("cannot rasterise an empty walkable area")
    if bounds is None:
        x0, y0, x1, y1 = area.bounds
        bounds = (x0 - resolution, y0 - resolution, x1 + resolution, y1 + resolution)
    x_min, y_min, x_max, y_max = bounds
    columns = int(np.ceil((x_max - x_min) / resolution))
    rows = int(np.ceil((y_max - y_min) / resolution))
    if rows <= 0 or columns <= 0:
        raise SiteError(f"raster bounds {bounds} are empty")
    if rows * columns > max_cells:
        raise SiteError(
            f"a {resolution} m raster of this area needs {rows * columns:,} cells "
            f"(limit {max_cells:,}); choose a coarser resolution or smaller bounds"
        )
    shapely.prepare(area)
    xs = x_min + (np.arange(columns) + 0.5) * resolution
    walkable = np.zeros((rows, columns), dtype=bool)
    for start in range(0, rows, _ROWS_PER_BLOCK):
        stop = min(start + _ROWS_PER_BLOCK, rows)
        ys = y_min + (np.arange(start, stop) + 0.5) * resolution
        grid_x, grid_y = np.meshgrid(xs, ys)
        walkable[start:stop] = shapely.contains_xy(area, grid_x, grid_y)
    distance = ndimage.distance_transform_edt(walkable).astype(np.float32) * np.float32(resolution)
    return WalkableGrid(
        x_min=x_min,
        y_min=y_min,
        resolution=resolution,
        walkable=walkable,
        distance_to_wall=distance,
    )
