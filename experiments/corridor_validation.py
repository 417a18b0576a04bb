"""Validation against the uni-directional corridor experiments (Zhang et al. 2011, 1.8 m wide).

Each simulated person enters where and when the real one was first tracked, so the simulated
corridor is fed by the measured inflow; nothing is calibrated on these data. Density and speed
are PedPy's Voronoi method (method D of the Jülich analyses, as in the published diagrams of
this series; cells cut by the walkable area only) in the same 1.8 m x 2 m area, per frame over
the experiment's steady state, for measured and simulated trajectories alike.

The simulated points are compared with the spread of the measured points of the same 1.8 m
corridor (all nine runs of the series, the three with a narrowed exit included: they hold its
congested branch) and of the same campaign's 3 m corridor. Only the six runs with the full
1.8 m exit are replayed: the narrowed exits' geometry is not in the data.

Free speeds: the engine's default (Weidmann's 1.34 ± 0.26 m/s, a general population), and, as a
second table, the campaign's own: the individual speeds in the same campaign's 5 m corridor run
at free flow (UNI_CORR_500_01, about 0.3 persons/m²), never in the 1.8 m runs compared here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pedpy
import shapely
from shapely.geometry import box

from experiments import VALIDATION_DATA, VALIDATION_DOCS, write_markdown
from experiments.inflow_replay import load_tracked, replay_run
from experiments.measured_diagrams import speed_band
from simulator import CollisionFreeSpeedModel, CrowdAwareRouting
from simulator.simulation import normal_speeds

CORRIDOR = VALIDATION_DATA / "experiments" / "uni_directional_corridor"
FREE_FLOW_RUN = CORRIDOR / "traj_UNI_CORR_500_01.txt"  # metres, walking -x
FREE_FLOW_FPS = 25.0
DIAGRAM_3M = VALIDATION_DATA / "fundamental_diagrams" / "3test_UO" / "data"
AREA = shapely.from_wkt(
    "POLYGON ((2.8 -6.5, 2.8 -4, 1.8 -4, 1.8 4, 2.8 4, 2.8 8, -1 8, -1 4, 0 4, 0 -4, -1 -4, "
    "-1 -6.5, 2.8 -6.5))"
)
EXIT = box(-1, -6.5, 2.8, -6.3)
MEASUREMENT_AREA = pedpy.MeasurementArea(box(0, -2, 1.8, 0))
FPS = 16.0
WALKABLE = pedpy.WalkableArea(AREA)
# Steady-state frames from shared/validation/README.md; names: entrance - corridor - exit (cm).
STEADY = {"uo-050-180-180": (211, 800), "uo-060-180-180": (243, 771),
          "uo-070-180-180": (203, 1113), "uo-100-180-180": (200, 790),
          "uo-145-180-180": (300, 1097), "uo-180-180-180": (400, 1284),
          "uo-180-180-070": (500, 1399), "uo-180-180-095": (400, 1350),
          "uo-180-180-120": (300, 1099)}  # fmt: skip
REPLAYED = tuple(run for run in STEADY if run.endswith("-180"))


@dataclass(frozen=True)
class DiagramPoint:
    """Mean density (1/m²) and speed (m/s) in the measurement area over the steady state."""

    run: str
    measured_density: float
    measured_speed: float
    simulated_density: float
    simulated_speed: float
    persons: int
    entered: int
    """Simulated persons who could enter (an entry waits while its spot is taken)."""
    simulated_frames_inside: float
    """Share of the simulated steady-state frames whose (ρ, v) lies inside the 5-95 % speed band
    of the measured 1.8 m points at that density (frames without a band are left out)."""


def load_run(run: str) -> pedpy.TrajectoryData:
    return load_tracked(CORRIDOR / f"{run}.txt", fps=FPS)


def campaign_free_speeds() -> tuple[float, float]:
    """Mean and s.d. (m/s) of the individual speeds in the campaign's 5 m corridor run at free
    flow: each person's time from x = 2 m to x = -2 m (the middle of the corridor)."""
    data = np.loadtxt(FREE_FLOW_RUN, comments="#")
    speeds = []
    for person in np.unique(data[:, 0]):
        track = data[data[:, 0] == person]
        track = track[np.argsort(track[:, 1])]
        passed_in, passed_out = track[track[:, 2] <= 2.0], track[track[:, 2] <= -2.0]
        if len(passed_in) and len(passed_out):
            speeds.append(4.0 / ((passed_out[0, 1] - passed_in[0, 1]) / FREE_FLOW_FPS))
    return float(np.mean(speeds)), float(np.std(speeds, ddof=1))


def simulate_run(
    measured: pedpy.TrajectoryData, *, seed: int, free_speeds: tuple[float, float] | None = None,
    parameters: CollisionFreeSpeedModel | None = None, routing: CrowdAwareRouting | None = None,
) -> pedpy.TrajectoryData:  # fmt: skip
    """Replay the measured inflow: each person appears at its first tracked position and time,
    walking at a speed drawn from `free_speeds` (mean, s.d.; clipped to 0.5-2 m/s like the
    default) or the model's default."""
    first = measured.data.sort_values("frame").groupby("id").first().sort_values("frame")
    desired = None
    if free_speeds is not None:
        mean, sd = free_speeds
        desired = normal_speeds(np.random.default_rng(seed), len(first), mean=mean, sd=sd)
    return replay_run(
        first,
        walkable_area=AREA,
        exits=[EXIT],
        fps=FPS,
        steps_per_frame=5,  # dt = 1 / 80 s
        until_frame=int(measured.data["frame"].max()) + 400,
        seed=seed,
        desired_speeds=desired,
        parameters=parameters,
        routing=routing,
    ).trajectory


def frame_points(
    trajectory: pedpy.TrajectoryData, frames: tuple[int, int]
) -> npt.NDArray[np.float64]:
    """Voronoi density (1/m²) and speed (m/s) in the measurement area, one row per frame of the
    steady state (speeds over 5 frames either side, as the measured ones)."""
    cells = pedpy.compute_individual_voronoi_polygons(traj_data=trajectory, walkable_area=WALKABLE)
    density, intersection = pedpy.compute_voronoi_density(
        individual_voronoi_data=cells, measurement_area=MEASUREMENT_AREA
    )
    speeds = pedpy.compute_individual_speed(
        traj_data=trajectory,
        frame_step=5,
        speed_calculation=pedpy.SpeedCalculation.BORDER_SINGLE_SIDED,
    )
    speed = pedpy.compute_voronoi_speed(
        traj_data=trajectory,
        individual_speed=speeds,
        individual_voronoi_intersection=intersection,
        measurement_area=MEASUREMENT_AREA,
    )
    start, stop = frames
    both = pd.concat([density["density"], speed["speed"]], axis=1, join="inner")
    both = both[(both.index >= start) & (both.index <= stop)].dropna()
    return np.asarray(both.to_numpy(dtype=np.float64), dtype=np.float64)


@functools.cache
def series_points() -> npt.NDArray[np.float64]:
    """The measured per-frame (density, speed) points of all nine 1.8 m runs' steady states."""
    return np.vstack([frame_points(load_run(run), STEADY[run]) for run in STEADY])


def share_inside(points: npt.NDArray[np.float64], reference: npt.NDArray[np.float64]) -> float:
    """Share of `points` whose speed lies inside the reference's 5-95 % band at its density."""
    verdicts = []
    for density, speed in points:
        low, high, _ = speed_band(reference, density)
        if not np.isnan(low):
            verdicts.append(low <= speed <= high)
    return float(np.mean(verdicts)) if verdicts else float("nan")


def validate(
    runs: tuple[str, ...] = REPLAYED, *, seed: int = 0,
    free_speeds: tuple[float, float] | None = None,
    parameters: CollisionFreeSpeedModel | None = None, routing: CrowdAwareRouting | None = None,
) -> list[DiagramPoint]:  # fmt: skip
    points = []
    for run in runs:
        measured = load_run(run)
        simulated = simulate_run(
            measured, seed=seed, free_speeds=free_speeds, parameters=parameters, routing=routing
        )
        measured_frames = frame_points(measured, STEADY[run])
        simulated_frames = frame_points(simulated, STEADY[run])
        md, mv = measured_frames.mean(axis=0)
        sd, sv = simulated_frames.mean(axis=0)
        points.append(
            DiagramPoint(
                run,
                float(md),
                float(mv),
                float(sd),
                float(sv),
                measured.data["id"].nunique(),
                simulated.data["id"].nunique(),
                share_inside(simulated_frames, series_points()),
            )
        )
    return points


def write_report(out_dir: Path) -> list[DiagramPoint]:
    """The comparison as markdown tables in out_dir (corridor_zhang2011.md), with the default
    free speeds and with the campaign's own; returns the points with the default ones."""
    points = validate()
    free = campaign_free_speeds()
    campaign = validate(free_speeds=free)
    defaults = CollisionFreeSpeedModel()
    lines = [
        "# Validation: uni-directional corridor, 1.8 m (Zhang et al. 2011)",
        "",
        "Each simulated person enters at the first tracked position and time of a real one. "
        "Density and speed: PedPy's Voronoi method (method D; cells cut by the walkable area "
        "only, speeds over 5 frames either side) in the area x 0-1.8 m, y -2-0 m, per frame "
        "over each run's steady state; the table gives the means. Model: defaults (CFSM, "
        f"{defaults.time_gaps_text}, r {defaults.radius_m} m, calibrated on bottleneck flows "
        "only). Seed 0. The six runs with the full 1.8 m exit are replayed; the three with a "
        "narrowed exit (0.70, 0.95, 1.20 m) are not (their exits' geometry is not in the data), "
        f"but their measured points belong to the 1.8 m spread ({len(series_points())} "
        "measured frames of all nine runs). Spreads: the 5-95 % speeds of the measured points "
        "within ±0.15/m² of the simulated density.",
        "",
        "## Free speeds: the default (Weidmann 1993, 1.34 ± 0.26 m/s)",
        "",
        *_table(points),
        "",
        f"## Free speeds: the campaign's own ({free[0]:.2f} ± {free[1]:.2f} m/s)",
        "",
        "Measured in the same campaign's 5 m corridor run at free flow (UNI_CORR_500_01, about "
        "0.3 persons/m²: each person's time over the middle 4 m), not in the runs compared here.",
        "",
        *_table(campaign),
        "",
    ]
    outside = [
        f"{p.run} ({p.measured_speed:.2f} m/s at {p.measured_density:.2f}/m²: band "
        f"{low:.2f}-{high:.2f})"
        for p in points
        for low, high, _ in [speed_band(DIAGRAM_3M, p.measured_density)]
        if not low <= p.measured_speed <= high
    ]
    more = [p.simulated_density / p.measured_density - 1 for p in points]
    slower = [1 - p.simulated_speed / p.measured_speed for p in points]
    inside = sum(_inside(p, series_points()) for p in points)
    lines += [
        f"Reading: with the default free speeds and the same inflow the simulated corridor holds "
        f"{min(more):+.0%} to {max(more):+.0%} more people, who walk {min(slower):.0%} to "
        f"{max(slower):.0%} slower than the measured ones (negative: faster); {inside} of "
        f"{len(points)} mean points lie inside the measured 1.8 m spread at their density. People "
        f"pass slower walkers ahead (headings up to {2 * defaults.overtaking_angle_deg:g}° "
        "aside are tried: `kernels.overtake`). The 3 m corridor series "
        "(same campaign) is a looser reference for these runs: measured 1.8 m points outside "
        f"its spread at their own density: {'; '.join(outside) if outside else 'none'}. The "
        "model has no calibration on these data.",
        "",
        "Reproduce: `.venv/bin/python -m experiments.corridor_validation`",
        "",
    ]
    write_markdown(out_dir, "corridor_zhang2011.md", lines)
    return points


def _inside(point: DiagramPoint, reference: Path | npt.NDArray[np.float64]) -> bool:
    low, high, _ = speed_band(reference, point.simulated_density)
    return bool(low <= point.simulated_speed <= high)


def _table(points: list[DiagramPoint]) -> list[str]:
    lines = [
        "| run | measured ρ (1/m²) | simulated ρ | measured v (m/s) | simulated v | speed error | "
        "1.8 m runs' v at simulated ρ (5-95 %, n) | inside | 3 m series' v (5-95 %, n) | "
        "inside | simulated frames inside the 1.8 m spread | persons entered |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in points:
        error = (p.simulated_speed - p.measured_speed) / p.measured_speed
        bands = []
        for reference in (series_points(), DIAGRAM_3M):
            low, high, n = speed_band(reference, p.simulated_density)
            inside = "yes" if low <= p.simulated_speed <= high else "no"
            bands.append(f"{low:.2f}-{high:.2f} ({n}) | {inside}")
        lines.append(
            f"| {p.run} | {p.measured_density:.2f} | {p.simulated_density:.2f} | "
            f"{p.measured_speed:.2f} | {p.simulated_speed:.2f} | {error:+.0%} | "
            f"{' | '.join(bands)} | {p.simulated_frames_inside:.0%} | {p.entered}/{p.persons} |"
        )
    return lines


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    for p in write_report(VALIDATION_DOCS):
        print(f"{p.run}: density {p.measured_density:.2f} -> {p.simulated_density:.2f} /m², "
              f"speed {p.measured_speed:.2f} -> {p.simulated_speed:.2f} m/s, "
              f"{p.entered}/{p.persons} entered")  # fmt: skip
