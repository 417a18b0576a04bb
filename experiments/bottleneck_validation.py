"""Validation of the crowd engine against the Wuppertal 2018 entrance-bottleneck experiments.

The simulation starts from the measured positions of the 75 participants (frame 0) in the
experiment's geometry; both the measured and the simulated trajectories are analysed with the
same PedPy method (N(t) at the measurement line at the bottleneck entrance). The flow is
J = (N - 1) / (t_last - t_first) over the crossings, in persons per second. The report also
compares how densely the crowd waits in front of the entrance while people pass it (PedPy's
Voronoi density, and the city runs' peak local density), which is not calibrated on at all.

    python -m experiments.bottleneck_validation

compares the default model with both runs (docs/validation/). Run 030_c_56_h0 is part of the
crowd time gap's calibration set (`experiments.time_gap_calibration`), 040_c_56_h- is not.
"""

from __future__ import annotations

import argparse
import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pedpy
import shapely
from shapely.geometry import LineString, Polygon, box
from shapely.geometry.base import BaseGeometry

from evac.errors import EvacError
from experiments import VALIDATION_DATA, VALIDATION_DOCS, write_markdown
from simulator import (
    CollisionFreeSpeedModel,
    CrowdAwareRouting,
    Hdf5TrajectoryWriter,
    Simulation,
    SocialForceModel,
)
from simulator.measurement import max_density_per_m2

WUPPERTAL = VALIDATION_DATA / "experiments" / "bottleneck_wuppertal2018"
# Geometry of the 0.5 m entrance bottleneck in a 5.6 m corridor (shared/validation/README.md).
WUPPERTAL_AREA = shapely.from_wkt(
    "POLYGON ((3.5 -2, 3.5 8, -3.5 8, -3.5 -2, 3.5 -2), "
    "(-0.7 -1.1, -0.25 -1.1, -0.25 -0.15, -0.4 0, -2.8 0, -2.8 6.7, -3.05 6.7, -3.05 -0.3, "
    "-0.7 -0.3, -0.7 -1.1), "
    "(0.25 -1.1, 0.7 -1.1, 0.7 -0.3, 3.05 -0.3, 3.05 6.7, 2.8 6.7, 2.8 0, 0.4 0, 0.25 -0.15, "
    "0.25 -1.1))"
)
WUPPERTAL_EXIT = box(-3.5, -2.0, 3.5, -1.8)
WUPPERTAL_LINE = LineString([(0.4, 0.0), (-0.4, 0.0)])
WUPPERTAL_RUNS = ("030_c_56_h0", "040_c_56_h-")
# Where the crowd waits: 2 m wide and 1.5 m deep in front of the entrance, and the corridor
# upstream of the entrance line, which the Voronoi cells are cut to (the measured heads lean over
# the jambs and the walls by a few centimetres; PedPy needs everyone inside the area).
WUPPERTAL_WAITING_AREA = box(-1.0, 0.2, 1.0, 1.7)
WUPPERTAL_UPSTREAM = box(-2.8, 0.0, 2.8, 6.7)


@dataclass(frozen=True)
class WaitingDensity:
    """How densely the crowd stands in front of the entrance while people pass it (from the
    first to the last crossing of the line): the mean of PedPy's Voronoi density in
    WUPPERTAL_WAITING_AREA, and the highest local density anyone has (people within 1 m over
    π m²: what the city runs report as `max_density_per_m2`), both in persons/m²."""

    mean_voronoi_per_m2: float
    peak_local_per_m2: float


@dataclass(frozen=True)
class FlowResult:
    """Measured and simulated flow of one run; `evacuated`: the fewest simulated persons who
    reached the exit (over the seeds); the densities (see `WaitingDensity`; simulated: the
    medians over the seeds) where asked for."""

    run: str
    measured_per_s: float
    simulated_per_s: float
    persons: int
    evacuated: int
    measured_density: WaitingDensity | None = None
    simulated_density: WaitingDensity | None = None

    @property
    def relative_error(self) -> float:
        return (self.simulated_per_s - self.measured_per_s) / self.measured_per_s


@dataclass(frozen=True)
class BottleneckRun:
    """One simulated run: its trajectories and how many reached the exit."""

    trajectory: pedpy.TrajectoryData
    evacuated: int


def line_flow(trajectory: pedpy.TrajectoryData, line: LineString) -> float:
    """(N - 1) / (t_last - t_first) from PedPy's N(t) at a measurement line.

    PedPy can miss a crossing whose step ends within about 1e-5 m of the line (one person in
    3 of the 49 validation runs, e.g. the step 9.985 -> 10.000008 m over a line at x = 10 m);
    who got out is therefore counted by the engine (`BottleneckRun.evacuated`), not from N(t)."""
    return flow_of_n_t(n_t_at(trajectory, line))


def n_t_at(trajectory: pedpy.TrajectoryData, line: LineString) -> pd.DataFrame:
    """PedPy's N(t) at a measurement line."""
    n_t: pd.DataFrame
    n_t, _ = pedpy.compute_n_t(traj_data=trajectory, measurement_line=pedpy.MeasurementLine(line))
    return n_t


def flow_of_n_t(n_t: pd.DataFrame) -> float:
    """(N - 1) / (t_last - t_first) over the crossings of an N(t) (see `line_flow`)."""
    crossings = n_t.drop_duplicates("cumulative_pedestrians", keep="first")
    crossings = crossings[crossings["cumulative_pedestrians"] > 0]
    times = crossings["time"].to_numpy()
    count = int(crossings["cumulative_pedestrians"].max())
    return float((count - 1) / (times[-1] - times[0]))


def waiting_density(
    trajectory: pedpy.TrajectoryData, *, n_t: pd.DataFrame | None = None
) -> WaitingDensity:
    """`WaitingDensity` of one run's trajectories (measured or simulated alike); `n_t`: their
    N(t) at WUPPERTAL_LINE where already computed."""
    if n_t is None:
        n_t = n_t_at(trajectory, WUPPERTAL_LINE)
    crossed = n_t["cumulative_pedestrians"].to_numpy()
    if crossed.max() < 2:
        raise EvacError("fewer than two people crossed the entrance line: no passing phase")
    frames = n_t["frame"].to_numpy()
    first, last = int(frames[crossed >= 1][0]), int(frames[crossed == crossed.max()][0])
    data = trajectory.data
    data = data[(data["frame"] >= first) & (data["frame"] <= last)]
    peak = 0.0
    for _, people in data.groupby("frame"):
        peak = max(peak, max_density_per_m2(people[["x", "y"]].to_numpy(dtype=float)))
    upstream = data[
        shapely.contains_xy(WUPPERTAL_UPSTREAM.buffer(-0.01), data["x"], data["y"])
    ]  # fmt: skip
    cells = pedpy.compute_individual_voronoi_polygons(
        traj_data=pedpy.TrajectoryData(
            data=upstream[["id", "frame", "x", "y"]].reset_index(drop=True),
            frame_rate=trajectory.frame_rate,
        ),
        walkable_area=pedpy.WalkableArea(WUPPERTAL_UPSTREAM),
    )
    density, _ = pedpy.compute_voronoi_density(
        individual_voronoi_data=cells,
        measurement_area=pedpy.MeasurementArea(WUPPERTAL_WAITING_AREA),
    )
    # Frames with nobody upstream have no Voronoi cells: an empty area counts as 0.
    per_frame = density.set_index("frame")["density"].reindex(range(first, last + 1), fill_value=0)
    return WaitingDensity(float(per_frame.mean()), peak)


def load_experiment(run: str) -> pedpy.TrajectoryData:
    return pedpy.load_trajectory(
        trajectory_file=WUPPERTAL / f"{run}.txt",
        default_frame_rate=25.0,
        default_unit=pedpy.TrajectoryUnit.METER,
    )


def simulate(
    start: np.ndarray, *, parameters: CollisionFreeSpeedModel | SocialForceModel, seed: int,
    area: BaseGeometry, exit_polygon: Polygon, max_time_s: float = 240.0,
    routing: CrowdAwareRouting | None = None,
) -> BottleneckRun:  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "run.h5"
        sim = Simulation(
            walkable_area=area, exits=[exit_polygon], seed=seed, resolution=0.05,
            parameters=parameters, trajectory_writer=Hdf5TrajectoryWriter(path, every_nth_frame=1),
            routing=routing,
        )  # fmt: skip
        sim.add_agents(positions=start)
        sim.run(max_time_s=max_time_s)
        evacuated = int(np.isfinite(sim.exit_times).sum())
        trajectory = pedpy.load_trajectory_from_ped_data_archive_hdf5(trajectory_file=path)
        return BottleneckRun(trajectory=trajectory, evacuated=evacuated)


def start_positions(trajectory: pedpy.TrajectoryData) -> np.ndarray:
    first = trajectory.data.sort_values("frame").groupby("id").first()
    return np.asarray(first[["x", "y"]].to_numpy(), dtype=float)


def validate(
    parameters: CollisionFreeSpeedModel, *, seeds: tuple[int, ...] = (0, 1, 2),
    runs: tuple[str, ...] = WUPPERTAL_RUNS, densities: bool = False,
    routing: CrowdAwareRouting | None = None,
) -> list[FlowResult]:  # fmt: skip
    """Measured and simulated (median over `seeds`) flow of each run; with `densities` also
    the waiting densities (a few seconds more per trajectory)."""
    results = []
    for run in runs:
        measured = load_experiment(run)
        start = start_positions(measured)
        outcomes = [
            simulate(start, parameters=parameters, seed=s, area=WUPPERTAL_AREA,
                     exit_polygon=WUPPERTAL_EXIT, routing=routing)
            for s in seeds
        ]  # fmt: skip
        n_ts = [n_t_at(o.trajectory, WUPPERTAL_LINE) for o in outcomes]
        results.append(
            FlowResult(
                run=run,
                measured_per_s=line_flow(measured, WUPPERTAL_LINE),
                simulated_per_s=float(np.median([flow_of_n_t(n_t) for n_t in n_ts])),
                persons=len(start),
                evacuated=min(o.evacuated for o in outcomes),
                measured_density=measured_waiting_density(run) if densities else None,
                simulated_density=_median_density(outcomes, n_ts) if densities else None,
            )
        )
    return results


@functools.cache
def measured_waiting_density(run: str) -> WaitingDensity:
    """`WaitingDensity` of a measured run (computed once per process: calibrations ask again
    for every parameter set)."""
    return waiting_density(load_experiment(run))


def _median_density(outcomes: list[BottleneckRun], n_ts: list[pd.DataFrame]) -> WaitingDensity:
    each = [waiting_density(o.trajectory, n_t=n_t) for o, n_t in zip(outcomes, n_ts, strict=True)]
    return WaitingDensity(
        float(np.median([d.mean_voronoi_per_m2 for d in each])),
        float(np.median([d.peak_local_per_m2 for d in each])),
    )


def write_report(out_dir: Path, *, seeds: tuple[int, ...] = (0, 1, 2, 3, 4)) -> list[FlowResult]:
    """Validate the default model; write a table (markdown) and the N(t) figure into out_dir."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parameters = CollisionFreeSpeedModel()
    results = validate(parameters, seeds=seeds, densities=True)
    fig, axes = plt.subplots(1, len(WUPPERTAL_RUNS), figsize=(11, 4), sharey=True)
    for ax, run in zip(axes, WUPPERTAL_RUNS, strict=True):
        measured = load_experiment(run)
        for label, trajectory, style in (
            ("measured", measured, "k-"),
            ("simulated (seed 0)", simulate(start_positions(measured), parameters=parameters,
                                            seed=0, area=WUPPERTAL_AREA,
                                            exit_polygon=WUPPERTAL_EXIT).trajectory, "C1--"),
        ):  # fmt: skip
            n_t, _ = pedpy.compute_n_t(
                traj_data=trajectory, measurement_line=pedpy.MeasurementLine(WUPPERTAL_LINE)
            )
            ax.plot(n_t["time"], n_t["cumulative_pedestrians"], style, label=label)
        ax.set_title(f"Wuppertal 2018 {run} (0.5 m bottleneck)")
        ax.set_xlabel("time (s)")
        ax.legend()
    axes[0].set_ylabel("persons through the bottleneck")
    out_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_dir / "bottleneck_wuppertal_nt.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    lines = [
        "# Validation: Wuppertal 2018 entrance bottleneck (0.5 m), flow at the entrance line",
        "",
        f"Model: collision-free speed model, {parameters.time_gaps_text}, radius "
        f"{parameters.radius_m} m (crowd time gap calibrated on 030_c_56_h0 and Seyfried 2009's "
        f"widths). Start: the measured positions at frame 0. Simulated flow: median of seeds "
        f"{list(seeds)}. Both analysed with PedPy (N(t) at the line (0.4, 0)-(-0.4, 0)); "
        "J = (N - 1) / (t_last - t_first).",
        "",
        "| run | role | measured J (1/s) | simulated J (1/s) | error | simulated out "
        "(fewest of the seeds) |",
        "|---|---|---|---|---|---|",
    ]
    for result in results:
        role = "calibration" if result.run == WUPPERTAL_RUNS[0] else "validation"
        lines.append(
            f"| {result.run} | {role} | {result.measured_per_s:.3f} | "
            f"{result.simulated_per_s:.3f} | {result.relative_error:+.1%} | "
            f"{result.evacuated}/{result.persons} |"
        )
    lines += [
        "",
        "## How densely the crowd waits in front of the entrance (not calibrated on)",
        "",
        "From the first to the last crossing of the line: the mean of PedPy's Voronoi density in "
        "the 2 m x 1.5 m area in front of the entrance (x -1..1 m, y 0.2..1.7 m; cells cut to "
        "the corridor upstream of the line), and the highest local density anyone has (people "
        "within 1 m over π m², the measure the city runs report as `max_density_per_m2`). "
        "Simulated: medians over the seeds.",
        "",
        "| run | measured mean Voronoi (/m²) | simulated | error | measured peak local (/m²) "
        "| simulated | error |",
        "|---|---|---|---|---|---|---|",
    ]
    for result in results:
        measured, simulated = result.measured_density, result.simulated_density
        assert measured is not None and simulated is not None
        lines.append(
            f"| {result.run} | {measured.mean_voronoi_per_m2:.2f} | "
            f"{simulated.mean_voronoi_per_m2:.2f} | "
            f"{simulated.mean_voronoi_per_m2 / measured.mean_voronoi_per_m2 - 1:+.0%} | "
            f"{measured.peak_local_per_m2:.2f} | {simulated.peak_local_per_m2:.2f} | "
            f"{simulated.peak_local_per_m2 / measured.peak_local_per_m2 - 1:+.0%} |"
        )
    lines += ["", "![N(t)](bottleneck_wuppertal_nt.png)", "",
              "Reproduce: `.venv/bin/python -m experiments.bottleneck_validation`", ""]  # fmt: skip
    write_markdown(out_dir, "bottleneck_wuppertal.md", lines)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.parse_args(argv)
    for result in write_report(VALIDATION_DOCS):
        print(f"{result.run}: measured {result.measured_per_s:.3f}/s, simulated "
              f"{result.simulated_per_s:.3f}/s ({result.relative_error:+.1%}), "
              f"{result.evacuated}/{result.persons} out; waiting density {result.measured_density} "
              f"measured, {result.simulated_density} simulated")  # fmt: skip


if __name__ == "__main__":
    main()
