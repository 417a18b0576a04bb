"""Rasterising the walkable area."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Polygon, box

from city_data.raster import rasterise
from evac.errors import SiteError


def test_area_and_wall_distance_of_a_corridor_with_a_pillar() -> None:
    corridor = box(0, 0, 20, 4).difference(box(9, 1.5, 10, 2.5))  # a 1 m pillar in the middle
    grid = rasterise(corridor, resolution=0.1)
    cell_area = grid.resolution**2
    assert grid.walkable.sum() * cell_area == pytest.approx(corridor.area, rel=0.01)
    # The widest clearance is half the corridor's width, away from the pillar.
    assert float(grid.distance_to_wall.max()) == pytest.approx(2.0, abs=0.15)
    row, column = grid.cell_of(9.5, 2.0)
    assert not grid.walkable[row, column]  # the pillar
    row, column = grid.cell_of(3.0, 2.0)
    assert grid.walkable[row, column]
    assert grid.distance_to_wall[row, column] == pytest.approx(2.0, abs=0.15)


def test_border_of_the_default_grid_is_wall() -> None:
    grid = rasterise(box(0, 0, 5, 5), resolution=0.5)
    assert not grid.walkable[0].any() and not grid.walkable[-1].any()
    assert not grid.walkable[:, 0].any() and not grid.walkable[:, -1].any()


def test_rows_run_south_to_north() -> None:
    triangle = Polygon([(0, 0), (10, 0), (0, 10)])  # wide at the bottom (south)
    grid = rasterise(triangle, resolution=0.5)
    counts = grid.walkable.sum(axis=1)
    assert counts[1] > counts[-2]
    assert np.all(np.diff(counts[1:-1]) <= 0)


def test_bad_resolution_and_empty_area() -> None:
    with pytest.raises(SiteError, match="resolution must be positive"):
        rasterise(box(0, 0, 1, 1), resolution=0)
    with pytest.raises(SiteError, match="empty"):
        rasterise(Polygon(), resolution=0.5)
    with pytest.raises(SiteError, match="cells"):
        rasterise(box(0, 0, 10_000, 10_000), resolution=0.1)
