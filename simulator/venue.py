"""The venue of a simulation: a validated walkable area with exits, rasterised once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from scipy import ndimage
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from city_data.raster import WalkableGrid, distance_to_wall, fill_cells, rasterise
from evac.errors import SimulationError


@dataclass(frozen=True)
class Venue:
    """Walkable area and exits (metres), with the raster the kernels read.

    Exit cells count as walkable even where an exit polygon sticks out of the area, so that exits
    drawn on the boundary can be reached.
    """

    walkable_area: Polygon | MultiPolygon
    exits: tuple[Polygon | MultiPolygon, ...]
    grid: WalkableGrid
    exit_cells: npt.NDArray[np.int16]
    """Per cell: the index of the exit it belongs to, or -1."""
    movable: npt.NDArray[np.bool_]
    """Cells an agent's centre may be anywhere in without leaving the walkable area: the whole
    cell lies inside it (no edge of the area crosses the cell's interior), plus the exit cells."""

    @property
    def resolution(self) -> float:
        return self.grid.resolution


def build_venue(
    walkable_area: BaseGeometry, exits: Sequence[BaseGeometry], *, resolution: float
) -> Venue:
    """Validate the geometry and rasterise it; errors name what is wrong."""
    if not isinstance(walkable_area, Polygon | MultiPolygon):
        raise SimulationError(
            "walkable_area must be a shapely Polygon or MultiPolygon, "
            f"got {type(walkable_area).__name__}"
        )
    if not walkable_area.is_valid:
        raise SimulationError(
            f"walkable_area is not a valid polygon: {explain_validity(walkable_area)}"
        )
    if walkable_area.is_empty or walkable_area.area <= 0:
        raise SimulationError("walkable_area is empty")
    if not exits:
        raise SimulationError("at least one exit polygon is needed")
    checked: list[Polygon | MultiPolygon] = []
    for index, exit_polygon in enumerate(exits):
        if not isinstance(exit_polygon, Polygon | MultiPolygon) or exit_polygon.is_empty:
            raise SimulationError(
                f"exit {index} must be a non-empty shapely Polygon or MultiPolygon"
            )
        if not exit_polygon.is_valid:
            raise SimulationError(
                f"exit {index} is not a valid polygon: {explain_validity(exit_polygon)}"
            )
        if (
            exit_polygon.distance(walkable_area) > resolution
            or not exit_polygon.buffer(resolution).intersection(walkable_area).area > 0
        ):
            raise SimulationError(
                f"exit {index} lies outside the walkable area (it must lie inside or on its edge)"
            )
        checked.append(exit_polygon)
    if not resolution > 0:
        raise SimulationError(f"resolution must be positive, got {resolution}")
    union = shapely.union_all([walkable_area, *checked])
    x0, y0, x1, y1 = union.bounds
    pad = 2 * resolution
    bounds = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    area_grid = rasterise(walkable_area, resolution=resolution, bounds=bounds)
    exit_cells = np.full(area_grid.walkable.shape, -1, dtype=np.int16)
    for index, exit_polygon in enumerate(checked):
        # Thin exits on the boundary still cover at least one row of cells (those of the exit
        # grown by 3/4 cell that lie within a cell of the walkable area).
        grown = exit_polygon.buffer(resolution * 0.75)
        nearby = walkable_area.intersection(grown.envelope.buffer(2 * resolution))
        reach = grown.intersection(nearby.buffer(resolution))
        mask = np.zeros(area_grid.walkable.shape, dtype=bool)
        fill_cells(mask, reach, x_min=area_grid.x_min, y_min=area_grid.y_min,
                   resolution=resolution)  # fmt: skip
        exit_cells[mask & (exit_cells < 0)] = index
    walkable = area_grid.walkable | (exit_cells >= 0)
    # Beyond an exit is the way out, not a wall: the outside cells whose nearest walkable cell is
    # an exit cell (up to a metre out) do not repel. Door jambs stay walls: their nearest
    # walkable cells are the passage's.
    outside_distance, (rows, columns) = ndimage.distance_transform_edt(
        ~walkable, return_indices=True
    )
    beyond_exit = (
        ~walkable & (exit_cells[rows, columns] >= 0) & (outside_distance * resolution <= 1.0)
    )
    grid = rasterise_mask(walkable, area_grid, open_mask=walkable | beyond_exit)
    movable = _whole_cells_inside(walkable_area, area_grid) | (exit_cells >= 0)
    return Venue(
        walkable_area=walkable_area, exits=tuple(checked), grid=grid, exit_cells=exit_cells,
        movable=movable,
    )  # fmt: skip


def _whole_cells_inside(area: Polygon | MultiPolygon, grid: WalkableGrid) -> npt.NDArray[np.bool_]:
    """Walkable cells that lie wholly inside the area. Cells far from walls by the raster's own
    distance are; a cell near a wall is when no edge of the area crosses its interior (its centre
    is inside: it is walkable). A cell whose side lies on a wall is inside: a 2 m gate on a 0.5 m
    raster keeps its four cells (a test on the centre's distance to the wall kept two)."""
    resolution = grid.resolution
    inside = grid.walkable & (grid.distance_to_wall > 2.0 * resolution)
    rows, columns = np.nonzero(grid.walkable & ~inside)
    if rows.size == 0:
        return inside
    rings = [
        ring
        for polygon in getattr(area, "geoms", [area])
        for ring in (polygon.exterior, *polygon.interiors)
    ]
    coordinates = [np.asarray(ring.coords) for ring in rings]
    segments = shapely.linestrings(
        np.concatenate([np.stack([c[:-1], c[1:]], axis=1) for c in coordinates])
    )
    tree = shapely.STRtree(np.asarray(segments, dtype=object).reshape(-1))
    # The cells' interiors: shrunk by a micrometre, so that an edge along a side does not count.
    low_x = grid.x_min + columns * resolution + 1e-6
    low_y = grid.y_min + rows * resolution + 1e-6
    interiors = shapely.box(low_x, low_y, low_x + resolution - 2e-6, low_y + resolution - 2e-6)
    crossed = np.zeros(rows.size, dtype=bool)
    crossed[tree.query(interiors, predicate="intersects")[0]] = True
    inside[rows[~crossed], columns[~crossed]] = True
    return inside


def rasterise_mask(
    walkable: npt.NDArray[np.bool_], like: WalkableGrid, *, open_mask: npt.NDArray[np.bool_]
) -> WalkableGrid:
    """A grid like `like` with another walkable mask; distances to walls are measured to the
    cells outside `open_mask` (a superset of `walkable`)."""
    return WalkableGrid(
        x_min=like.x_min,
        y_min=like.y_min,
        resolution=like.resolution,
        walkable=walkable,
        distance_to_wall=distance_to_wall(walkable, open_mask, resolution=like.resolution),
    )
