"""Bottleneck flows of two more published experiments, in set-ups we had to assume.

Kretz, Grünebohm & Schreckenberg 2006 (J. Stat. Mech. P10014: widths 0.4-1.2 m, the flow from
the mean time gap between passages) and Müller 1981 (dissertation, TH Magdeburg: 150 or 195
persons leaving a corridor b_g wide through an opening, the "normal" runs, J = N / t), both as
transcribed in JuPedSim's repository (inputfiles/Bottleneck/bck-b-scaling: kretz-j-b.dat and
mueller-bg-*-No.dat, commit 9a9e60d). Neither ../shared nor any source reachable here gives
their geometry, their start or, for Kretz, the number of people, so all of these are assumed
and this is a plausibility check, not a validation: an opening through a wall 0.4 m thick;
Kretz: 95 persons in an 8 m wide room; Müller: the corridor b_g wide; everyone on a lattice
filling the space from the opening backwards, at two start densities (the sensitivity to what
we assumed). Flows: Kretz (N - 1) / (t_last - t_first) at the opening's entrance (one over the
mean time gap); Müller N / t_last, t counted from the start.

    python -m experiments.bottleneck_literature [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from experiments import VALIDATION_DOCS, write_markdown
from experiments.bottleneck_validation import flow_of_n_t, n_t_at, simulate
from experiments.bottleneck_widths import room_with_opening
from simulator import CollisionFreeSpeedModel

WALL_M = 0.4
BEHIND_M = 4.0
KRETZ_PERSONS = 95  # assumed
KRETZ_ROOM_WIDTH_M = 8.0  # assumed
START_DENSITIES = (2.5, 1.5)  # persons/m², assumed: packed, and looser
_WALL_MARGIN_M = 0.2
# Kretz 2006 (width m, flow 1/s); Müller 1981 (corridor width b_g m, opening m, persons, time s).
KRETZ = ((0.4, 0.88), (0.5, 1.02), (0.6, 1.12), (0.7, 1.23), (0.8, 1.43), (0.9, 1.58),
         (1.0, 1.85), (1.2, 2.15))  # fmt: skip
MUELLER = (
    (2.0, 0.9, 150, 70.4), (2.0, 1.2, 150, 52.0), (2.0, 1.5, 150, 51.1),
    (2.6, 0.6, 150, 100.2), (2.6, 0.9, 150, 66.4), (2.6, 1.2, 150, 54.5),
    (2.6, 1.5, 150, 41.8), (2.6, 1.8, 150, 39.2),
    (3.2, 1.2, 195, 57.0), (3.2, 1.5, 195, 48.6), (3.2, 1.8, 195, 36.6), (3.2, 2.4, 195, 33.2),
    (3.8, 1.2, 195, 63.1), (3.8, 1.8, 195, 43.5), (3.8, 2.4, 195, 32.2), (3.8, 2.7, 195, 25.0),
    (3.8, 3.3, 195, 20.0),
)  # fmt: skip


@dataclass(frozen=True)
class SetUp:
    """One published run and the set-up we assume for it."""

    source: str
    room_width_m: float
    opening_m: float
    persons: int
    published_per_s: float
    from_start: bool
    """True: J = N / t_last with t from the start (Müller); False: one over the mean gap."""


@dataclass(frozen=True)
class LiteratureFlow:
    """A set-up and the simulated flow (median over the seeds) at each start density."""

    set_up: SetUp
    simulated_per_s: tuple[float, ...]

    def errors(self) -> tuple[float, ...]:
        return tuple(f / self.set_up.published_per_s - 1 for f in self.simulated_per_s)


def set_ups() -> list[SetUp]:
    kretz = [
        SetUp("Kretz 2006", KRETZ_ROOM_WIDTH_M, width, KRETZ_PERSONS, flow, from_start=False)
        for width, flow in KRETZ
    ]
    mueller = [
        SetUp("Müller 1981", corridor, opening, persons, persons / seconds, from_start=True)
        for corridor, opening, persons, seconds in MUELLER
    ]
    return kretz + mueller


def holding_depth_m(set_up: SetUp, density: float) -> float:
    """Depth of the holding area: the people's lattice (see `start_positions`) and 1 m more."""
    _, along, columns = _lattice(set_up.room_width_m, density)
    return max(6.0, float(np.ceil(set_up.persons / columns)) * along + 1.0)


def geometry(set_up: SetUp, depth_m: float) -> tuple[BaseGeometry, Polygon, LineString]:
    """The holding area [0, depth] x [0, room width], the opening through the wall centred on
    its far side, an area behind; the exit at the far end and the line across the opening's
    entrance."""
    return room_with_opening(
        opening_m=set_up.opening_m, room_depth_m=depth_m, room_width_m=set_up.room_width_m,
        opening_length_m=WALL_M, behind_m=BEHIND_M,
    )  # fmt: skip


def start_positions(
    set_up: SetUp, depth_m: float, density: float, seed: int
) -> npt.NDArray[np.float64]:
    """Everyone on a lattice at `density` over the width less 0.2 m at each wall, row after row
    from 0.3 m before the wall backwards, each spot jittered by up to 5 cm."""
    lateral, along, columns = _lattice(set_up.room_width_m, density)
    rows = int(np.ceil(set_up.persons / columns))
    xs = depth_m - 0.3 - np.arange(rows) * along
    ys = _WALL_MARGIN_M + lateral * (np.arange(columns) + 0.5)
    grid_x, grid_y = np.meshgrid(xs, ys, indexing="ij")
    spots = np.column_stack([grid_x.ravel(), grid_y.ravel()])[: set_up.persons]
    jitter = np.random.default_rng(seed).uniform(-0.05, 0.05, spots.shape)
    return np.asarray(spots + jitter, dtype=np.float64)


def _lattice(room_width_m: float, density: float) -> tuple[float, float, int]:
    """Spacing across and along the room, and the people per row, for `density`."""
    usable = room_width_m - 2 * _WALL_MARGIN_M
    columns = max(1, round(usable * float(np.sqrt(density))))
    lateral = usable / columns
    return lateral, 1.0 / (density * lateral), columns


def simulated_flow(set_up: SetUp, *, density: float, seed: int) -> float:
    depth = holding_depth_m(set_up, density)
    area, exit_polygon, line = geometry(set_up, depth)
    run = simulate(
        start_positions(set_up, depth, density, seed), parameters=CollisionFreeSpeedModel(),
        seed=seed, area=area, exit_polygon=exit_polygon, max_time_s=600.0,
    )  # fmt: skip
    n_t = n_t_at(run.trajectory, line)
    if not set_up.from_start:
        return flow_of_n_t(n_t)
    passed = n_t["cumulative_pedestrians"].to_numpy()
    last_passage = float(n_t["time"].to_numpy()[np.argmax(passed)])  # the first time at most
    return set_up.persons / last_passage


def compare(
    rows: Sequence[SetUp] | None = None, *, seeds: tuple[int, ...] = (0, 1, 2),
    densities: tuple[float, ...] = START_DENSITIES,
) -> list[LiteratureFlow]:  # fmt: skip
    return [
        LiteratureFlow(
            s,
            tuple(
                statistics.median(simulated_flow(s, density=d, seed=seed) for seed in seeds)
                for d in densities
            ),
        )
        for s in (set_ups() if rows is None else rows)
    ]


def write_report(results: list[LiteratureFlow], out_dir: Path, *, seeds: tuple[int, ...]) -> Path:
    dense, loose = START_DENSITIES
    lines = [
        "# Plausibility: bottleneck flows of Kretz 2006 and Müller 1981 (assumed set-ups)",
        "",
        (__doc__ or "").split("\n\n")[1].replace("\n", " "),
        "",
        f"Model: defaults (CFSM, {CollisionFreeSpeedModel().time_gaps_text}). Seeds {list(seeds)}"
        f" (medians). Start densities {dense:g} and {loose:g} persons/m².",
        "",
        f"| source | room or corridor width (m) | opening (m) | persons | published J (1/s) | "
        f"simulated J, start {dense:g}/m² | error | simulated J, start {loose:g}/m² | error |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s = r.set_up
        (j_dense, j_loose), (e_dense, e_loose) = r.simulated_per_s, r.errors()
        lines.append(
            f"| {s.source} | {s.room_width_m:.1f} | {s.opening_m:.1f} | {s.persons} | "
            f"{s.published_per_s:.2f} | {j_dense:.2f} | {e_dense:+.0%} | {j_loose:.2f} | "
            f"{e_loose:+.0%} |"
        )
    for source in ("Kretz 2006", "Müller 1981"):
        mine = [r for r in results if r.set_up.source == source]
        for index, density in enumerate(START_DENSITIES):
            errors = [r.errors()[index] for r in mine]
            within = sum(abs(e) <= 0.2 for e in errors)
            lines += [
                "",
                f"{source}, start {density:g}/m²: errors {min(errors):+.0%} to "
                f"{max(errors):+.0%} (median {statistics.median(errors):+.0%}), within 20 % in "
                f"{within} of {len(errors)}.",
            ]
    lines += [
        "",
        "Where the opening is nearly as wide as Müller's corridor, the looser start limits the "
        "flow (people leave the lattice no faster than its density lets them walk), not the "
        "opening: there the two starts part most, and which one Müller had is not known here.",
    ]
    lines += [
        "",
        "Reproduce: `.venv/bin/python -m experiments.bottleneck_literature`",
        "",
    ]
    return write_markdown(out_dir, "bottleneck_literature.md", lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=VALIDATION_DOCS)
    args = parser.parse_args(argv)
    seeds = tuple(args.seeds)
    results = compare(seeds=seeds)
    for r in results:
        s = r.set_up
        print(f"{s.source}, {s.room_width_m:.1f} m wide, opening {s.opening_m:.1f} m: published "
              f"{s.published_per_s:.2f}/s, simulated "
              + ", ".join(f"{j:.2f} ({e:+.0%})" for j, e in zip(r.simulated_per_s, r.errors(),
                                                                  strict=True)))  # fmt: skip
    print(f"wrote {write_report(results, args.out, seeds=seeds)}")


if __name__ == "__main__":
    main()
