"""Floor fields: eikonal travel times and the way downhill."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from simulator import kernels
from simulator.floor_field import compute_floor_field


def numpy_downhill(travel: np.ndarray, resolution: float) -> tuple[np.ndarray, np.ndarray]:
    """The descent written with NumPy and SciPy (a walled cell: its neighbours' highest finite
    time plus two cells), the reference for the kernel."""
    finite = np.isfinite(travel)
    ridge = ndimage.grey_dilation(np.where(finite, travel, -np.inf), size=(3, 3))
    filled = np.where(finite, travel, np.maximum(ridge, 0.0) + 2.0 * resolution)
    grad_y, grad_x = np.gradient(filled, resolution)
    norm = np.hypot(grad_x, grad_y)
    norm[norm == 0] = 1.0
    return np.where(finite, -grad_x / norm, 0.0), np.where(finite, -grad_y / norm, 0.0)


def test_downhill_kernel_matches_the_numpy_reference() -> None:
    rng = np.random.default_rng(3)
    travel = rng.uniform(0, 50, (60, 80))
    travel[rng.uniform(size=travel.shape) < 0.25] = np.inf
    travel[:5, :5] = np.inf  # a block with no finite neighbour inside
    expected_x, expected_y = numpy_downhill(travel, 0.2)
    got_x, got_y = kernels.downhill(travel, 0.2)
    np.testing.assert_allclose(got_x, expected_x, atol=1e-6)
    np.testing.assert_allclose(got_y, expected_y, atol=1e-6)


def test_open_floor_field_is_the_distance_and_points_at_the_target() -> None:
    resolution = 0.1
    walkable = np.ones((100, 100), dtype=bool)
    walkable[[0, -1], :] = walkable[:, [0, -1]] = False  # a 10 m square room
    ys, xs = (np.indices(walkable.shape) + 0.5) * resolution
    distance_to_wall = np.minimum.reduce([xs - 0.1, 9.9 - xs, ys - 0.1, 9.9 - ys]).astype(
        np.float32
    )
    target = np.zeros_like(walkable)
    target[48:52, 88:92] = True  # a target near the east wall
    field = compute_floor_field(walkable, distance_to_wall, target, resolution=resolution)
    # From the room's middle row, far from walls: travel time = straight distance (±2 cells).
    row = 50
    for column in (20, 40, 60):
        assert field.travel_time[row, column] == pytest.approx(
            (88 - column) * resolution, abs=2 * resolution
        )
        assert field.direction_x[row, column] == pytest.approx(1.0, abs=0.02)
    assert not np.isfinite(field.travel_time[0, 0])  # walls
    assert field.direction_x[0, 0] == field.direction_y[0, 0] == 0.0
    # Next to the south wall, the way does not lead into it.
    assert field.direction_y[1, 20] >= 0.0
