"""Where and how long the crowd got dangerously dense: local density sampled over a run, summed
per place into hot spots, and drawn on the map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from shapely.geometry.base import BaseGeometry

from simulator import Simulation
from simulator.measurement import local_densities

CRITICAL_PER_M2 = 4.0  # crowd-safety practice; Fruin's level F starts at 2.17
HOT_SPOT_CELL_M = 5.0


class CrowdingMeter:
    """Samples everyone's local density every `every_s` simulated seconds: the peak, the
    person-seconds spent above 4 persons/m², and both per 5 m square (the hot spots)."""

    def __init__(self, sim: Simulation, *, every_s: float) -> None:
        self.every_s = every_s
        self.peak_per_m2 = 0.0
        self.person_seconds_above_4 = 0.0
        self._next = 0.0
        grid = sim.grid
        self._x0, self._y0 = grid.x_min, grid.y_min
        columns = int(np.ceil(grid.shape[1] * grid.resolution / HOT_SPOT_CELL_M))
        rows = int(np.ceil(grid.shape[0] * grid.resolution / HOT_SPOT_CELL_M))
        self._peak = np.zeros((rows, columns))
        self._person_seconds = np.zeros((rows, columns))

    def sample(self, sim: Simulation) -> None:
        if sim.time + 1e-9 < self._next or sim.agent_count == 0:
            return
        self._next = sim.time + self.every_s
        positions = sim.positions
        density = local_densities(positions)
        critical = density > CRITICAL_PER_M2
        self.peak_per_m2 = max(self.peak_per_m2, float(density.max()))
        self.person_seconds_above_4 += float(np.count_nonzero(critical)) * self.every_s
        rows, columns = self._cells(positions)
        np.maximum.at(self._peak, (rows, columns), density)
        np.add.at(self._person_seconds, (rows[critical], columns[critical]), self.every_s)

    def hot_spots(self, *, top: int = 5) -> list[dict[str, Any]]:
        """The squares with the most person-seconds above 4/m², worst first."""
        order = np.argsort(-self._person_seconds, axis=None)[:top]
        spots = []
        for flat in order:
            row, column = np.unravel_index(flat, self._person_seconds.shape)
            if self._person_seconds[row, column] <= 0:
                break
            spots.append(
                {
                    "x_m": round(self._x0 + (column + 0.5) * HOT_SPOT_CELL_M, 1),
                    "y_m": round(self._y0 + (row + 0.5) * HOT_SPOT_CELL_M, 1),
                    "person_seconds_above_4_per_m2": round(
                        float(self._person_seconds[row, column]), 1
                    ),
                    "peak_per_m2": round(float(self._peak[row, column]), 2),
                }
            )
        return spots

    def draw(self, path: Path, *, walkable_area: BaseGeometry, title: str) -> None:
        """The peak local density per 5 m square over the walkable area (a PNG)."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.colors import LinearSegmentedColormap

        fig, ax = plt.subplots(figsize=(8, 8))
        for polygon in getattr(walkable_area, "geoms", [walkable_area]):
            ax.fill(*polygon.exterior.xy, color="0.88", lw=0)
            for hole in polygon.interiors:
                ax.fill(*hole.xy, color="white", lw=0)
        peak = np.where(self._peak > 0, self._peak, np.nan)
        extent = (
            self._x0, self._x0 + peak.shape[1] * HOT_SPOT_CELL_M,
            self._y0, self._y0 + peak.shape[0] * HOT_SPOT_CELL_M,
        )  # fmt: skip
        fruin = LinearSegmentedColormap.from_list("fruin", ["#2c7bb6", "#ffffbf", "#d7191c"])
        image = ax.imshow(peak, origin="lower", extent=extent, cmap=fruin, vmin=0, vmax=6, zorder=2)
        fig.colorbar(image, ax=ax, shrink=0.7, label="peak local density (persons/m²)")
        ax.set_aspect("equal")
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y (m)")
        ax.set_title(title)
        fig.savefig(path, dpi=90, bbox_inches="tight")
        plt.close(fig)

    def _cells(
        self, positions: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        rows = ((positions[:, 1] - self._y0) / HOT_SPOT_CELL_M).astype(np.intp)
        columns = ((positions[:, 0] - self._x0) / HOT_SPOT_CELL_M).astype(np.intp)
        rows = rows.clip(0, self._peak.shape[0] - 1)
        columns = columns.clip(0, self._peak.shape[1] - 1)
        return rows, columns
