"""The measured fundamental-diagram points of ../shared/validation/fundamental_diagrams."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt


def load_points(series: Path) -> npt.NDArray[np.float64]:
    """A series' measured (density, speed) points: all its *.dat files, one row per point."""
    return np.vstack([np.loadtxt(path, comments="#") for path in sorted(series.glob("*.dat"))])


def speed_band(
    series: Path | npt.NDArray[np.float64], density: float, *, half_width: float = 0.15
) -> tuple[float, float, int]:
    """5-95 % speeds of measured (density, speed) points (a series folder's *.dat files, or the
    points themselves) within ±half_width of a density, and how many points that is; NaN
    bounds below 5 points."""
    points = load_points(series) if isinstance(series, Path) else series
    near = points[np.abs(points[:, 0] - density) <= half_width, 1]
    if near.size < 5:
        return float("nan"), float("nan"), int(near.size)
    low, high = np.percentile(near, [5, 95])
    return float(low), float(high), int(near.size)
