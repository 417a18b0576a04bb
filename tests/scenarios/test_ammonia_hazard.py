"""The coupling of the plume to a run: the route cost's interpolation onto the engine's grid."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from scenarios.ammonia_hazard import bilinear_on_grid


def test_bilinear_on_grid_is_scipys_linear_interpolation_clamped_at_the_edges() -> None:
    rng = np.random.default_rng(5)
    coarse = rng.uniform(1.0, 50.0, (13, 17))
    rows = np.linspace(-2.3, 14.1, 41)  # beyond both edges
    columns = np.linspace(-0.7, 18.2, 57)
    mesh_rows, mesh_columns = np.meshgrid(rows, columns, indexing="ij")
    expected = ndimage.map_coordinates(coarse, [mesh_rows, mesh_columns], order=1, mode="nearest")
    np.testing.assert_allclose(bilinear_on_grid(coarse, rows, columns), expected, rtol=1e-6)


def test_bilinear_on_grid_of_a_single_row_or_column() -> None:
    coarse = np.array([[1.0, 3.0, 7.0]])
    np.testing.assert_allclose(
        bilinear_on_grid(coarse, np.array([-1.0, 0.0, 0.4]), np.array([0.5, 1.75, 9.0])),
        [[2.0, 6.0, 7.0]] * 3,
    )
