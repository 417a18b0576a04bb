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
    """Metres from a walkable cell's centre to the nearest wall (the near side of the nearest
    non-walkable cell); minus half a cell outside, so that interpolating between cell centres
    gives about zero on the wall's edge."""

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


def fill_cells(
    cells: npt.NDArray[np.bool_], area: BaseGeometry, *, x_min: float, y_min: float,
    resolution: float,
) -> None:  # fmt: skip
    """Set the cells of a grid whose centres lie in `area`, part by part, each part tested only
    over the window of its own bounds (a city's many small street polygons cost little)."""
    rows, columns = cells.shape
    parts = getattr(area, "geoms", [area])
    for part in parts:
        if part.is_empty:
            continue
        x0, y0, x1, y1 = part.bounds
        c0 = max(int(np.floor((x0 - x_min) / resolution)), 0)
        c1 = min(int(np.ceil((x1 - x_min) / resolution)) + 1, columns)
        r0 = max(int(np.floor((y0 - y_min) / resolution)), 0)
        r1 = min(int(np.ceil((y1 - y_min) / resolution)) + 1, rows)
        if c0 >= c1 or r0 >= r1:
            continue
        shapely.prepare(part)
        xs = x_min + (np.arange(c0, c1) + 0.5) * resolution
        for start in range(r0, r1, _ROWS_PER_BLOCK):
            stop = min(start + _ROWS_PER_BLOCK, r1)
            ys = y_min + (np.arange(start, stop) + 0.5) * resolution
            grid_x, grid_y = np.meshgrid(xs, ys)
            cells[start:stop, c0:c1] |= shapely.contains_xy(part, grid_x, grid_y)


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
    walkable = np.zeros((rows, columns), dtype=bool)
    fill_cells(walkable, area, x_min=x_min, y_min=y_min, resolution=resolution)
    return WalkableGrid(
        x_min=x_min,
        y_min=y_min,
        resolution=resolution,
        walkable=walkable,
        distance_to_wall=distance_to_wall(walkable, walkable, resolution=resolution),
    )


def distance_to_wall(
    walkable: npt.NDArray[np.bool_], open_mask: npt.NDArray[np.bool_], *, resolution: float
) -> npt.NDArray[np.float32]:
    """`WalkableGrid.distance_to_wall`, walls being the cells outside `open_mask` (a superset of
    `walkable`: cells that do not count as walls, such as the way out beyond an exit). The
    distance between cell centres less half a cell: on a 0.5 m raster a wall was otherwise felt
    a quarter metre inside itself."""
    edt = np.asarray(ndimage.distance_transform_edt(open_mask), dtype=np.float32)
    distance: npt.NDArray[np.float32] = edt * np.float32(resolution)
    distance[~walkable] = 0.0
    distance -= np.float32(0.5 * resolution)
    return distance
