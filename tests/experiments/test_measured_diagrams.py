"""Speed bands from measured fundamental-diagram points."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from experiments.measured_diagrams import speed_band


def test_band_covers_the_points_near_the_density_only(tmp_path: Path) -> None:
    near = np.column_stack([np.full(21, 1.0), np.linspace(1.0, 1.2, 21)])
    far = np.array([[2.0, 0.1], [0.5, 3.0]])
    np.savetxt(tmp_path / "a.dat", near[:10], header="density speed")
    np.savetxt(tmp_path / "b.dat", np.vstack([near[10:], far]))
    low, high, n = speed_band(tmp_path, 1.05)
    assert n == 21
    assert (low, high) == pytest.approx(np.percentile(near[:, 1], [5, 95]))


def test_too_few_points_give_no_band(tmp_path: Path) -> None:
    np.savetxt(tmp_path / "a.dat", [[1.0, 1.1], [1.0, 1.2], [3.0, 0.2]])
    low, high, n = speed_band(tmp_path, 1.0)
    assert n == 2 and math.isnan(low) and math.isnan(high)


def test_points_given_directly_give_the_same_band(tmp_path: Path) -> None:
    points = np.column_stack([np.full(30, 1.0), np.linspace(0.8, 1.4, 30)])
    np.savetxt(tmp_path / "a.dat", points)
    assert speed_band(points, 1.1) == speed_band(tmp_path, 1.1)
    assert speed_band(points, 1.2)[2] == 0
