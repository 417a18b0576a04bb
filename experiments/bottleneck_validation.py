"""Validation of the crowd engine against the Wuppertal 2018 entrance-bottleneck experiments.

The simulation starts from the measured positions of the 75 participants (frame 0) in the
experiment's geometry; both the measured and the simulated trajectories are analysed with the
same PedPy method (N(t) at the measurement line at the bottleneck entrance). The flow is
J = (N - 1) / (t_last - t_first) over the crossings, in persons per second.

    python -m experiments.bottleneck_validation

compares the default model with both runs (docs/validation/). Run 030_c_56_h0 is part of the
crowd time gap's calibration set (`experiments.time_gap_calibration`), 040_c_56_h- is not.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pedpy
import shapely
from shapely.geometry import LineString, Polygon, box
from shapely.geometry.base import BaseGeometry

from experiments import VALIDATION_DATA
from simulator import CollisionFreeSpeedModel, Hdf5TrajectoryWriter, Simulation

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


@dataclass(frozen=True)
class FlowResult:
    """Measured and simulated flow of one run; `evacuated`: the fewest simulated persons who
    reached the exit (over the seeds)."""

    run: str
    measured_per_s: float
    simulated_per_s: float
    persons: int
    evacuated: int

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
    n_t, _ = pedpy.compute_n_t(traj_data=trajectory, measurement_line=pedpy.MeasurementLine(line))
    crossings = n_t.drop_duplicates("cumulative_pedestrians", keep="first")
    crossings = crossings[crossings["cumulative_pedestrians"] > 0]
    times = crossings["time"].to_numpy()
    count = int(crossings["cumulative_pedestrians"].max())
    return float((count - 1) / (times[-1] - times[0]))


def load_experiment(run: str) -> pedpy.TrajectoryData:
    return pedpy.load_trajectory(
        trajectory_file=WUPPERTAL / f"{run}.txt",
        default_frame_rate=25.0,
        default_unit=pedpy.TrajectoryUnit.METER,
    )


def simulate(
    start: np.ndarray, *, parameters: CollisionFreeSpeedModel, seed: int, area: BaseGeometry,
    exit_polygon: Polygon, max_time_s: float = 240.0,
) -> BottleneckRun:  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "run.h5"
        sim = Simulation(
            walkable_area=area, exits=[exit_polygon], seed=seed, resolution=0.05,
            parameters=parameters, trajectory_writer=Hdf5TrajectoryWriter(path, every_nth_frame=1),
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
    runs: tuple[str, ...] = WUPPERTAL_RUNS,
) -> list[FlowResult]:  # fmt: skip
    """Measured and simulated (median over `seeds`) flow of each run."""
    results = []
    for run in runs:
        measured = load_experiment(run)
        start = start_positions(measured)
        outcomes = [
            simulate(start, parameters=parameters, seed=s, area=WUPPERTAL_AREA,
                     exit_polygon=WUPPERTAL_EXIT)
            for s in seeds
        ]  # fmt: skip
        results.append(
            FlowResult(
                run=run,
                measured_per_s=line_flow(measured, WUPPERTAL_LINE),
                simulated_per_s=float(
                    np.median([line_flow(o.trajectory, WUPPERTAL_LINE) for o in outcomes])
                ),
                persons=len(start),
                evacuated=min(o.evacuated for o in outcomes),
            )
        )
    return results


def write_report(out_dir: Path, *, seeds: tuple[int, ...] = (0, 1, 2, 3, 4)) -> list[FlowResult]:
    """Validate the default model; write a table (markdown) and the N(t) figure into out_dir."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parameters = CollisionFreeSpeedModel()
    results = validate(parameters, seeds=seeds)
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
    lines += ["", "![N(t)](bottleneck_wuppertal_nt.png)", "",
              "Reproduce: `.venv/bin/python -m experiments.bottleneck_validation`", ""]  # fmt: skip
    (out_dir / "bottleneck_wuppertal.md").write_text("\n".join(lines), encoding="utf-8")
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.parse_args(argv)
    target = Path(__file__).resolve().parents[1] / "docs" / "validation"
    for result in write_report(target):
        print(f"{result.run}: measured {result.measured_per_s:.3f}/s, simulated "
              f"{result.simulated_per_s:.3f}/s ({result.relative_error:+.1%}), "
              f"{result.evacuated}/{result.persons} out")  # fmt: skip


if __name__ == "__main__":
    main()
