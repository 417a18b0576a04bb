"""Validation against a measured corner: 137 people round the 90° turn of an L-shaped 3 m corridor
(`../shared/validation/experiments/corner`, Jülich, 16 fps).

Each simulated person enters where and when the real one was first tracked (the measured inflow,
as in the corridor validations), walks at the engine's default free speed and leaves at the end
of the other leg; nothing is calibrated on these data. Measured and simulated trajectories get
the same analysis:

- the time each person takes round the corner, from the line x = 3 m in the first leg to the
  line y = 3 m in the second;
- where people take the corner: the distance from the inner corner at which each crosses the
  corner's diagonal (the line from the inner corner (0, 0) to the outer one (-3, -3));
- PedPy's Voronoi density and speed (cells cut by the walkable area, speeds over 5 frames either
  side) in a 2 m stretch of each leg, before and after the corner, averaged over the frames
  between the 20th and the 80th percentile of the entries (the crowd's steady part). The same
  laboratory's 2.4 m corner series (`fundamental_diagrams/4test_EO`, other runs and width) gives
  the spread of measured speeds at the simulated density.

    python -m experiments.corner_validation [--seeds 0 1 2 3 4]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pedpy
import shapely
from shapely.geometry import box

from experiments import VALIDATION_DATA, VALIDATION_DOCS, write_markdown
from experiments.inflow_replay import replay_run
from experiments.measured_diagrams import speed_band
from simulator import CollisionFreeSpeedModel, CrowdAwareRouting

CORNER = VALIDATION_DATA / "experiments" / "corner"
DIAGRAM_CORNER_2_4M = VALIDATION_DATA / "fundamental_diagrams" / "4test_EO" / "data"
FPS = 16.0
STEPS_PER_FRAME = 5  # dt = 1 / 80 s
EXTRA_FRAMES = 320  # 20 s for the last to walk out after the last entry
AREA = shapely.Polygon([(-3, 5), (0, 5), (0, 0), (5, 0), (5, -3), (-3, -3)])
EXIT = box(-3, 4.8, 0, 5)
WALKABLE = pedpy.WalkableArea(AREA)
ENTRY_LINE_X = 3.0
EXIT_LINE_Y = 3.0
BEFORE = pedpy.MeasurementArea(box(0.5, -3, 2.5, 0))
AFTER = pedpy.MeasurementArea(box(-3, 0.5, 0, 2.5))
STEADY_PERCENTILES = (20, 80)


@dataclass(frozen=True)
class CornerMeasures:
    """One trajectory set's numbers (see the module docstring)."""

    time_round_s: pd.Series = field(compare=False)
    """Per person who walked from x = 3 m to y = 3 m: seconds."""
    corner_distance_m: pd.Series = field(compare=False)
    """Per person: distance from the inner corner where the diagonal was crossed."""
    before: tuple[float, float]
    """Mean Voronoi density (1/m²) and speed (m/s) in the first leg over the steady frames."""
    after: tuple[float, float]


@dataclass(frozen=True)
class CornerValidation:
    measured: CornerMeasures
    simulated: list[CornerMeasures]
    seeds: tuple[int, ...]
    persons: int
    entered: list[int]
    paths_measured: pd.DataFrame = field(compare=False)
    paths_simulated: pd.DataFrame = field(compare=False)
    """Seed `seeds[0]`'s trajectories, for the figure."""


def load_measured() -> pedpy.TrajectoryData:
    return pedpy.load_trajectory(
        trajectory_file=CORNER / "traj.txt",
        default_frame_rate=FPS,
        default_unit=pedpy.TrajectoryUnit.METER,
    )


def steady_frames(measured: pedpy.TrajectoryData) -> tuple[int, int]:
    """The frames between the STEADY_PERCENTILES of the entries (first tracked frames)."""
    first = measured.data.groupby("id")["frame"].min().to_numpy()
    low, high = np.percentile(first, STEADY_PERCENTILES)
    return int(low), int(high)


def simulate(
    measured: pedpy.TrajectoryData, *, seed: int,
    parameters: CollisionFreeSpeedModel | None = None, routing: CrowdAwareRouting | None = None,
) -> tuple[pedpy.TrajectoryData, int]:  # fmt: skip
    """Replay the measured inflow; returns the simulated trajectories (16 fps, frames as the
    measured ones) and how many entered."""
    first = measured.data.sort_values("frame").groupby("id").first().sort_values("frame")
    run = replay_run(
        first, walkable_area=AREA, exits=[EXIT], fps=FPS, steps_per_frame=STEPS_PER_FRAME,
        until_frame=int(measured.data["frame"].max()) + EXTRA_FRAMES, seed=seed,
        parameters=parameters, routing=routing,
    )  # fmt: skip
    return run.trajectory, run.added.size


def times_round(data: pd.DataFrame) -> pd.Series:
    """Seconds from the first frame west of x = ENTRY_LINE_X to the first north of
    y = EXIT_LINE_Y, per person who has both."""
    data = data.sort_values(["id", "frame"])
    entered = data[data["x"] <= ENTRY_LINE_X].groupby("id")["frame"].min()
    left = data[data["y"] >= EXIT_LINE_Y].groupby("id")["frame"].min()
    both = pd.concat([entered, left], axis=1, keys=["entered", "left"]).dropna()
    seconds: pd.Series = (both["left"] - both["entered"]) / FPS
    return seconds


def corner_distances(data: pd.DataFrame) -> pd.Series:
    """Per person, how far from the inner corner (0, 0) the step crossing the diagonal y = x
    (toward the outer corner) meets it, interpolated between the two frames."""
    data = data.sort_values(["id", "frame"])
    side = data["y"] - data["x"]
    previous = data.groupby("id")[["x", "y"]].shift()
    previous_side = previous["y"] - previous["x"]
    crossing = (previous_side < 0) & (side >= 0) & (data["x"] < 0.5)
    rows = data[crossing]
    before = previous[crossing]
    share = -previous_side[crossing] / (side[crossing] - previous_side[crossing])
    x = before["x"] + share * (rows["x"] - before["x"])
    y = before["y"] + share * (rows["y"] - before["y"])
    distance = pd.Series(np.hypot(x.to_numpy(), y.to_numpy()), index=rows["id"].to_numpy())
    first: pd.Series = distance.groupby(level=0).first()
    return first


def voronoi_means(
    trajectory: pedpy.TrajectoryData, steady: tuple[int, int]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Mean Voronoi density and speed in BEFORE and AFTER over the steady frames."""
    cells = pedpy.compute_individual_voronoi_polygons(traj_data=trajectory, walkable_area=WALKABLE)
    speeds = pedpy.compute_individual_speed(
        traj_data=trajectory, frame_step=5,
        speed_calculation=pedpy.SpeedCalculation.BORDER_SINGLE_SIDED,
    )  # fmt: skip
    means = []
    for area in (BEFORE, AFTER):
        density, intersection = pedpy.compute_voronoi_density(
            individual_voronoi_data=cells, measurement_area=area
        )
        speed = pedpy.compute_voronoi_speed(
            traj_data=trajectory, individual_speed=speeds,
            individual_voronoi_intersection=intersection, measurement_area=area,
        )  # fmt: skip
        both = pd.concat([density["density"], speed["speed"]], axis=1, join="inner").dropna()
        both = both[(both.index >= steady[0]) & (both.index <= steady[1])]
        means.append((float(both["density"].mean()), float(both["speed"].mean())))
    return means[0], means[1]


def measure(trajectory: pedpy.TrajectoryData, steady: tuple[int, int]) -> CornerMeasures:
    before, after = voronoi_means(trajectory, steady)
    return CornerMeasures(
        time_round_s=times_round(trajectory.data),
        corner_distance_m=corner_distances(trajectory.data),
        before=before,
        after=after,
    )


def validate(
    seeds: Sequence[int] = (0,), *, parameters: CollisionFreeSpeedModel | None = None,
    routing: CrowdAwareRouting | None = None,
) -> CornerValidation:  # fmt: skip
    measured = load_measured()
    steady = steady_frames(measured)
    simulated, entered, paths = [], [], pd.DataFrame()
    for seed in seeds:
        trajectory, count = simulate(measured, seed=seed, parameters=parameters, routing=routing)
        simulated.append(measure(trajectory, steady))
        entered.append(count)
        if paths.empty:
            paths = trajectory.data[["id", "frame", "x", "y"]]
    return CornerValidation(
        measured=measure(measured, steady),
        simulated=simulated,
        seeds=tuple(seeds),
        persons=int(measured.data["id"].nunique()),
        entered=entered,
        paths_measured=measured.data[["id", "frame", "x", "y"]],
        paths_simulated=paths,
    )


def median_over_seeds(result: CornerValidation, value: str) -> float:
    """The median over the seeds of a per-seed number, named as in ROWS."""
    return statistics.median(value_of(m, value) for m in result.simulated)


def value_of(m: CornerMeasures, value: str) -> float:
    """One number of one set of measures (measured or one seed's), named as in ROWS."""
    numbers = {
        "time": float(m.time_round_s.median()),
        "time_p10": float(m.time_round_s.quantile(0.1)),
        "time_p90": float(m.time_round_s.quantile(0.9)),
        "corner": float(m.corner_distance_m.median()),
        "corner_p10": float(m.corner_distance_m.quantile(0.1)),
        "corner_p90": float(m.corner_distance_m.quantile(0.9)),
        "before_density": m.before[0],
        "before_speed": m.before[1],
        "after_density": m.after[0],
        "after_speed": m.after[1],
    }
    return numbers[value]


ROWS = (
    ("time round the corner, median (s)", "time"),
    ("time round the corner, 10th percentile (s)", "time_p10"),
    ("time round the corner, 90th percentile (s)", "time_p90"),
    ("distance from the inner corner on the diagonal, median (m)", "corner"),
    ("distance from the inner corner, 10th percentile (m)", "corner_p10"),
    ("distance from the inner corner, 90th percentile (m)", "corner_p90"),
    ("density before the corner (1/m²)", "before_density"),
    ("speed before the corner (m/s)", "before_speed"),
    ("density after the corner (1/m²)", "after_density"),
    ("speed after the corner (m/s)", "after_speed"),
)


def write_figure(result: CornerValidation, path: Path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(15, 5))
    for ax, paths, title in (
        (axes[0], result.paths_measured, "measured"),
        (axes[1], result.paths_simulated, f"simulated (seed {result.seeds[0]})"),
    ):
        ax.fill(*AREA.exterior.xy, color="0.92", lw=0)
        for _, track in paths.sort_values("frame").groupby("id"):
            ax.plot(track["x"], track["y"], lw=0.4, color="tab:blue", alpha=0.5)
        ax.plot([0, -3], [0, -3], color="tab:red", lw=1, ls="--")
        ax.set_aspect("equal")
        ax.set_title(f"paths, {title}")
        ax.set_xlabel("x (m)")
        ax.set_ylabel("y (m)")
    ax = axes[2]
    for measures, label, style in (
        (result.measured, "measured", "-"),
        (result.simulated[0], f"simulated (seed {result.seeds[0]})", "--"),
    ):
        values = np.sort(measures.time_round_s.to_numpy())
        ax.step(values, np.arange(1, values.size + 1) / values.size, where="post", ls=style,
                label=label)  # fmt: skip
    ax.set_xlabel("time from x = 3 m to y = 3 m (s)")
    ax.set_ylabel("share of people")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_report(result: CornerValidation, out_dir: Path) -> None:
    """docs/validation/corner.md and corner.png."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_figure(result, out_dir / "corner.png")
    defaults = CollisionFreeSpeedModel()
    lines = [
        "# Validation: round a 90° corner (L-shaped 3 m corridor, 137 persons)",
        "",
        "Measured: `../shared/validation/experiments/corner` (Jülich, 16 fps). Each simulated "
        "person enters at the first tracked position and time of a real one and walks at the "
        "engine's default free speed (Weidmann 1.34 ± 0.26 m/s) to the end of the other leg. "
        f"Model: defaults (CFSM, {defaults.time_gaps_text}, r {defaults.radius_m} m), nothing "
        "calibrated on these data. Both trajectory sets are analysed alike: the time from the "
        f"line x = {ENTRY_LINE_X:g} m to the line y = {EXIT_LINE_Y:g} m; the distance from the "
        "inner corner at which each person crosses the diagonal to the outer corner; PedPy's "
        "Voronoi density and speed in 2 m of each leg (x 0.5-2.5 m before the corner, "
        "y 0.5-2.5 m after it) over the frames between the 20th and 80th percentile of the "
        f"entries. Simulated: median over seeds {list(result.seeds)}.",
        "",
        "| quantity | measured | simulated | error |",
        "|---|---|---|---|",
    ]
    for label, key in ROWS:
        measured = value_of(result.measured, key)
        simulated = median_over_seeds(result, key)
        lines.append(
            f"| {label} | {measured:.2f} | {simulated:.2f} | {simulated / measured - 1:+.0%} |"
        )
    bands = []
    for where, key in (("before", "before"), ("after", "after")):
        density = median_over_seeds(result, f"{key}_density")
        speed = median_over_seeds(result, f"{key}_speed")
        low, high, n = speed_band(DIAGRAM_CORNER_2_4M, density)
        verdict = "inside" if low <= speed <= high else "outside"
        bands.append(
            f"{where} the corner {speed:.2f} m/s at {density:.2f}/m²: {verdict} the 2.4 m "
            f"corner series' 5-95 % speeds there ({low:.2f}-{high:.2f} m/s, {n} points)"
        )
    real = result.measured
    inner = median_over_seeds(result, "corner") / value_of(real, "corner") - 1
    wide = median_over_seeds(result, "corner_p90") / value_of(real, "corner_p90") - 1
    lines += [
        "",
        f"Everyone entered: {result.entered} of {result.persons}. Spread of the same "
        f"laboratory's 2.4 m corner series (4test_EO, other runs): {'; '.join(bands)}.",
        "",
        f"Reading: the time round the corner is off the measured one by "
        f"{median_over_seeds(result, 'time') / value_of(real, 'time') - 1:+.0%} "
        f"(median). Where people take the corner differs more: the median distance from the "
        f"inner corner is {inner:+.0%} and the 90th percentile {wide:+.0%} off the measured "
        "one. Every simulated walker heads down the same floor field (the quickest way, kept "
        "0.6 m off walls), so the crowd keeps to the inside of the turn and, after it, to a few "
        "lanes along the inner wall, where real people spread over the corridor's whole width "
        "(see the paths). The density after the corner is higher for the same reason.",
        "",
        "![paths and times](corner.png)",
        "",
        "Reproduce: `.venv/bin/python -m experiments.corner_validation`",
        "",
    ]
    write_markdown(out_dir, "corner.md", lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--out", type=Path, default=VALIDATION_DOCS)
    args = parser.parse_args(argv)
    result = validate(args.seeds)
    write_report(result, args.out)
    for label, key in ROWS:
        print(f"{label}: measured {value_of(result.measured, key):.2f}, "
              f"simulated {median_over_seeds(result, key):.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
