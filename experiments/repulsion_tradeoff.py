"""How the strength of the repulsion between neighbours trades the waiting crowd's density
against bottleneck flows and counterflow: a sensitivity study of the collision-free speed
model, not a calibration.

With JuPedSim's strength of 8 the model's crowd waits 30-40 % less densely in front of the
Wuppertal bottleneck than the measured one (`bottleneck_validation`), and weaker repulsion closes
that gap. Whether it may be weakened is asked here, for each strength, range and crowd time
gap:
- the Wuppertal 2018 runs (0.5 m): flow and mean Voronoi waiting density against the measured;
- Seyfried et al. 2009's five widths (0.8-1.2 m): the RMS of the relative flow errors;
- the counterflow check (`counterflow`: 150 + 150 people face to face in a 40 m x 5 m
  corridor): the time until all are out, or "stuck" when some are still inside after 400 s.
Every other parameter keeps its default.

    python -m experiments.repulsion_tradeoff [--strengths 2 3 4 6 8] [--ranges 0.05 0.1]
        [--time-gaps 0.30 0.36] [--seeds 5] [--processes 2]

writes docs/validation/repulsion_tradeoff.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numba

from experiments import VALIDATION_DOCS
from experiments.bottleneck_validation import validate
from experiments.bottleneck_widths import compare
from experiments.counterflow import passing_time
from experiments.time_gap_calibration import CALIBRATION_WIDTHS, rms
from simulator import CollisionFreeSpeedModel

NEIGHBOUR_STRENGTHS = (2.0, 3.0, 4.0, 6.0, 8.0)
NEIGHBOUR_RANGES_M = (0.05, 0.1)
TIME_GAPS_S = (0.30, 0.36)
SEEDS = 5
COUNTERFLOW_SEEDS = (0, 1, 2)
COUNTERFLOW_PEOPLE = 150
COUNTERFLOW_LIMIT_S = 400.0


@dataclass(frozen=True)
class WuppertalError:
    """Relative errors of one Wuppertal run: flow and mean Voronoi waiting density."""

    run: str
    flow: float
    waiting_density: float


@dataclass(frozen=True)
class TradeOff:
    """What one strength, range and crowd time gap give (errors relative to the measured
    values; counterflow: seconds until all were out per seed, None where some were stuck)."""

    neighbour_strength: float
    neighbour_range_m: float
    crowd_time_gap_s: float
    wuppertal: tuple[WuppertalError, ...]
    seyfried_flow_rms: float
    counterflow_s: tuple[float | None, ...]

    @property
    def counterflow_passes(self) -> bool:
        return all(t is not None for t in self.counterflow_s)


def measure(strength: float, range_m: float, time_gap: float, *, seeds: int = SEEDS) -> TradeOff:
    """The trade-off for one strength, range and crowd time gap (bottlenecks: medians over
    seeds 0..seeds-1)."""
    parameters = CollisionFreeSpeedModel(
        neighbour_strength=strength, neighbour_range_m=range_m, crowd_time_gap_s=time_gap
    )
    seed_range = tuple(range(seeds))
    wuppertal = []
    for result in validate(parameters, seeds=seed_range, densities=True):
        measured, simulated = result.measured_density, result.simulated_density
        assert measured is not None and simulated is not None
        density = simulated.mean_voronoi_per_m2 / measured.mean_voronoi_per_m2 - 1
        wuppertal.append(WuppertalError(result.run, result.relative_error, density))
    widths = compare(rows=CALIBRATION_WIDTHS, parameters=parameters, seeds=seed_range)
    seyfried_rms = rms({f"{w.width_m} m": w.relative_error for w in widths})
    counterflow = tuple(
        passing_time(
            COUNTERFLOW_PEOPLE, seed=s, parameters=parameters, max_time_s=COUNTERFLOW_LIMIT_S
        )
        for s in COUNTERFLOW_SEEDS
    )
    return TradeOff(strength, range_m, time_gap, tuple(wuppertal), seyfried_rms, counterflow)


def table(rows: list[TradeOff]) -> list[str]:
    """The markdown table of the study, a row per strength, range and crowd time gap."""
    runs = [w.run for w in rows[0].wuppertal]
    header = ["strength", "range (m)", "crowd time gap (s)"]
    for run in runs:
        header += [f"{run} flow", f"{run} waiting density"]
    header += ["Seyfried flows, RMS", f"counterflow {COUNTERFLOW_PEOPLE} + {COUNTERFLOW_PEOPLE}"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [
            f"{row.neighbour_strength:g}", f"{row.neighbour_range_m:g}",
            f"{row.crowd_time_gap_s:.2f}",
        ]  # fmt: skip
        for w in row.wuppertal:
            cells += [f"{w.flow:+.1%}", f"{w.waiting_density:+.0%}"]
        counterflow = ", ".join("stuck" if t is None else f"{t:.0f} s" for t in row.counterflow_s)
        cells += [f"{row.seyfried_flow_rms:.1%}", counterflow]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def passing_summary(rows: list[TradeOff]) -> str:
    """One sentence naming the variants whose counterflow got through in every seed."""
    passing = [row for row in rows if row.counterflow_passes]
    named = "; ".join(
        f"strength {r.neighbour_strength:g}, range {r.neighbour_range_m:g} m, "
        f"{r.crowd_time_gap_s:.2f} s"
        for r in passing
    )
    return (
        f"Counterflow through in every seed: {named or 'none'} "
        f"({len(passing)} of {len(rows)} variants)."
    )


def _one_thread() -> None:
    """Each worker process runs its small crowds on one thread: the processes share the cores."""
    numba.set_num_threads(1)


def _measure_variant(variant: tuple[float, float, float], seeds: int) -> TradeOff:
    return measure(*variant, seeds=seeds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--strengths", type=float, nargs="+", default=list(NEIGHBOUR_STRENGTHS))
    parser.add_argument("--ranges", type=float, nargs="+", default=list(NEIGHBOUR_RANGES_M))
    parser.add_argument("--time-gaps", type=float, nargs="+", default=list(TIME_GAPS_S))
    parser.add_argument("--seeds", type=int, default=SEEDS, help="seeds per bottleneck case")
    parser.add_argument(
        "--processes", type=int, default=os.cpu_count() or 1, help="variants run side by side"
    )
    parser.add_argument("--out", type=Path, default=VALIDATION_DOCS / "repulsion_tradeoff.md")
    args = parser.parse_args(argv)
    variants = [(s, r, t) for s in args.strengths for r in args.ranges for t in args.time_gaps]
    with ProcessPoolExecutor(
        max_workers=args.processes, mp_context=multiprocessing.get_context("spawn"),
        initializer=_one_thread,
    ) as pool:  # fmt: skip
        rows = list(pool.map(_measure_variant, variants, [args.seeds] * len(variants)))
    default = CollisionFreeSpeedModel()
    lines = [
        "# Sensitivity: neighbour repulsion against waiting density, flows and counterflow",
        "",
        "Errors relative to the measured values (Wuppertal 2018: flow and mean Voronoi density "
        "in 2 m x 1.5 m before the entrance, see `bottleneck_wuppertal.md`; Seyfried 2009: "
        f"published flows at 0.8-1.2 m), medians of seeds 0-{args.seeds - 1}. Counterflow: "
        f"{COUNTERFLOW_PEOPLE} + {COUNTERFLOW_PEOPLE} people face to face in a 40 m x 5 m "
        f"corridor, seeds {', '.join(map(str, COUNTERFLOW_SEEDS))}, seconds until all are out "
        f"(stuck: some still inside after {COUNTERFLOW_LIMIT_S:.0f} s). Every other parameter "
        f"at its default; the defaults: strength {default.neighbour_strength:g}, range "
        f"{default.neighbour_range_m:g} m (JuPedSim's), crowd time gap "
        f"{default.crowd_time_gap_s:g} s.",
        "",
        *table(rows),
        "",
        passing_summary(rows),
        "",
        "Reproduce: `.venv/bin/python -m experiments.repulsion_tradeoff`",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
