"""Bottleneck flow against width: the crowd engine beside published laboratory flows.

The measured trajectories of these experiments are not in ../shared/validation, so this compares
with published numbers: Seyfried et al. 2009 (Transportation Science 43, 395-406; 60 persons,
flow J = N / t, widths 0.8-1.2 m) and Liddle et al. 2011 (150 persons, widths 0.9-2.0 m), both
as transcribed in JuPedSim's repository (inputfiles/Bottleneck/bck-b-scaling/seyfried-j-b.dat
and Flow_vs_b_v2.dat, commit 9a9e60d). The geometry is JuPedSim's model of the Jülich set-up,
not the experiments' own plans: a holding room 6 m deep and 8 m wide, an approach of 4 m, the
bottleneck 2 m long, 3 m behind it. People start spread over the holding room; the flow is
(N - 1) / (t_last - t_first) at the bottleneck entrance (PedPy N(t)), median of the seeds.
Seyfried's five widths are part of the crowd time gap's calibration set
(`experiments.time_gap_calibration`); Liddle's eight are validation only. The social force model
(`model="sfm"`, Helbing et al. 2000's constants, not calibrated) runs the same cases beside it
for comparison.

    python -m experiments.bottleneck_widths [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon, box
from shapely.geometry.base import BaseGeometry

from experiments import VALIDATION_DOCS, write_markdown
from experiments.bottleneck_validation import line_flow, simulate
from simulator import CollisionFreeSpeedModel, CrowdAwareRouting, SocialForceModel

HOLDING = box(0.0, 0.0, 6.0, 8.0)
BOTTLENECK_START_M = 10.0
BOTTLENECK_LENGTH_M = 2.0
CENTRE_Y = 4.0
CALIBRATION_SOURCE = "Seyfried 2009"
# (source, persons, width m, flow 1/s)
PUBLISHED = (
    ("Seyfried 2009", 60, 0.8, 1.288), ("Seyfried 2009", 60, 0.9, 1.676),
    ("Seyfried 2009", 60, 1.0, 1.901), ("Seyfried 2009", 60, 1.1, 2.119),
    ("Seyfried 2009", 60, 1.2, 2.366),
    ("Liddle 2011", 150, 0.9, 1.71), ("Liddle 2011", 150, 1.0, 2.02),
    ("Liddle 2011", 150, 1.1, 2.19), ("Liddle 2011", 150, 1.2, 2.53),
    ("Liddle 2011", 150, 1.4, 2.91), ("Liddle 2011", 150, 1.6, 3.11),
    ("Liddle 2011", 150, 1.8, 3.91), ("Liddle 2011", 150, 2.0, 3.91),
)  # fmt: skip


@dataclass(frozen=True)
class WidthFlow:
    """Published and simulated flow through one bottleneck; `evacuated`: fewest persons out."""

    source: str
    persons: int
    width_m: float
    published_per_s: float
    simulated_per_s: float
    evacuated: int

    @property
    def relative_error(self) -> float:
        return (self.simulated_per_s - self.published_per_s) / self.published_per_s


def geometry(width_m: float) -> tuple[BaseGeometry, Polygon, LineString]:
    """Walkable area, exit and the measurement line across the bottleneck entrance."""
    return room_with_opening(
        opening_m=width_m, room_depth_m=BOTTLENECK_START_M, room_width_m=2 * CENTRE_Y,
        opening_length_m=BOTTLENECK_LENGTH_M, behind_m=3.0,
    )  # fmt: skip


def room_with_opening(
    *, opening_m: float, room_depth_m: float, room_width_m: float, opening_length_m: float,
    behind_m: float,
) -> tuple[BaseGeometry, Polygon, LineString]:  # fmt: skip
    """A room [0, depth] x [0, width], an opening `opening_length_m` long centred on its far
    side, an area as wide `behind_m` deep behind it: the walkable area, the exit (the last
    0.2 m of the area behind) and the measurement line across the opening's entrance."""
    half, centre = opening_m / 2, room_width_m / 2
    end = room_depth_m + opening_length_m
    area = shapely.union_all([
        box(0.0, 0.0, room_depth_m, room_width_m),
        box(room_depth_m - 0.01, centre - half, end + 0.01, centre + half),
        box(end, 0.0, end + behind_m, room_width_m),
    ])  # fmt: skip
    exit_polygon = box(end + behind_m - 0.2, 0.0, end + behind_m, room_width_m)
    line = LineString([(room_depth_m, centre - half), (room_depth_m, centre + half)])
    return area, exit_polygon, line


def start_positions(persons: int, seed: int) -> np.ndarray:
    """`persons` spots of a 0.5 m lattice over the holding room, drawn at random."""
    xs, ys = np.meshgrid(np.arange(0.3, 5.8, 0.5), np.arange(0.3, 7.8, 0.5))
    lattice = np.column_stack([xs.ravel(), ys.ravel()])
    rng = np.random.default_rng(seed)
    return lattice[rng.choice(len(lattice), persons, replace=False)]


def compare(
    *, seeds: tuple[int, ...] = (0, 1, 2),
    rows: tuple[tuple[str, int, float, float], ...] = PUBLISHED,
    parameters: CollisionFreeSpeedModel | SocialForceModel | None = None,
    routing: CrowdAwareRouting | None = None,
) -> list[WidthFlow]:  # fmt: skip
    parameters = parameters or CollisionFreeSpeedModel()
    results = []
    for source, persons, width, published in rows:
        area, exit_polygon, line = geometry(width)
        outcomes = [
            simulate(start_positions(persons, seed), parameters=parameters, seed=seed, area=area,
                     exit_polygon=exit_polygon, routing=routing)
            for seed in seeds
        ]  # fmt: skip
        results.append(
            WidthFlow(
                source, persons, width, published,
                simulated_per_s=statistics.median(line_flow(o.trajectory, line) for o in outcomes),
                evacuated=min(o.evacuated for o in outcomes),
            )
        )  # fmt: skip
    return results


def write_report(out_dir: Path, *, seeds: tuple[int, ...] = (0, 1, 2)) -> list[WidthFlow]:
    """The comparison as a table (bottleneck_widths.md) and a figure (bottleneck_widths.png)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = compare(seeds=seeds)
    social_force = compare(seeds=seeds, parameters=SocialForceModel())
    fig, ax = plt.subplots(figsize=(6, 4))
    for source, marker in (("Seyfried 2009", "o"), ("Liddle 2011", "s")):
        mine = [r for r in results if r.source == source]
        widths = [r.width_m for r in mine]
        ax.plot(widths, [r.published_per_s for r in mine], f"k{marker}", label=f"{source}")
        ax.plot(widths, [r.simulated_per_s for r in mine], f"C1{marker}--",
                label=f"simulated, {mine[0].persons} persons")  # fmt: skip
    ax.set_xlabel("bottleneck width (m)")
    ax.set_ylabel("flow (persons/s)")
    ax.legend()
    out_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(out_dir / "bottleneck_widths.png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    errors = [r.relative_error for r in results]
    lines = [
        "# Validation: bottleneck flow against width (published laboratory flows)",
        "",
        (__doc__ or "").split("\n\n")[1].replace("\n", " "),
        "",
        f"Model: defaults (CFSM, {CollisionFreeSpeedModel().time_gaps_text}). Seeds {list(seeds)}.",
        "",
        "| source | role | persons | width (m) | published J (1/s) | simulated J (1/s) | error | "
        "out (fewest of the seeds) | social force model J (1/s) | its error |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r, sfm in zip(results, social_force, strict=True):
        role = "calibration" if r.source == CALIBRATION_SOURCE else "validation"
        lines.append(
            f"| {r.source} | {role} | {r.persons} | {r.width_m:.1f} | {r.published_per_s:.2f} | "
            f"{r.simulated_per_s:.2f} | {r.relative_error:+.0%} | {r.evacuated}/{r.persons} | "
            f"{sfm.simulated_per_s:.2f} | {sfm.relative_error:+.0%} |"
        )
    validation = [r.relative_error for r in results if r.source != CALIBRATION_SOURCE]
    lines += [
        "",
        f"Errors from {min(errors):+.0%} to {max(errors):+.0%} (median "
        f"{statistics.median(errors):+.0%}); within 20 % at {sum(abs(e) <= 0.2 for e in errors)} "
        f"of {len(errors)} widths. Validation widths only: {min(validation):+.0%} to "
        f"{max(validation):+.0%}. The social force model, not calibrated: "
        f"{min(r.relative_error for r in social_force):+.0%} to "
        f"{max(r.relative_error for r in social_force):+.0%}.",
        "",
        "![J(b)](bottleneck_widths.png)",
        "",
        "Reproduce: `.venv/bin/python -m experiments.bottleneck_widths`",
        "",
    ]
    write_markdown(out_dir, "bottleneck_widths.md", lines)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    for r in write_report(VALIDATION_DOCS, seeds=tuple(args.seeds)):
        print(f"{r.source}, {r.persons} persons, {r.width_m:.1f} m: published "
              f"{r.published_per_s:.2f}/s, simulated {r.simulated_per_s:.2f}/s "
              f"({r.relative_error:+.0%}), {r.evacuated}/{r.persons} out")  # fmt: skip


if __name__ == "__main__":
    main()
