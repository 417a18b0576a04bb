"""Crowd-aware routing (`simulator.CrowdAwareRouting`, off by default) against the static floor
fields on every validation case that measures where and how fast people walk: each case run both
ways with the same seeds, both compared with the measured or published values.

The option's settings (density smoothed over 0.4 m, capped at 1.5 /m², fields anew every 0.5 s;
people walking against a target's way counting 3 times) were chosen on the corner, the Wuppertal
door and (the counterflow weight) the bidirectional corridor; the uni-directional corridor and the
bottleneck widths are cases it was not chosen on. The table also gives each case's wall time
both ways: what recomputing the fields costs.

    python -m experiments.crowd_aware_routing_validation [--out docs/validation]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from experiments import (
    VALIDATION_DOCS,
    bidirectional_validation,
    bottleneck_validation,
    bottleneck_widths,
    corner_validation,
    corridor_validation,
    write_markdown,
)
from simulator import CollisionFreeSpeedModel, CrowdAwareRouting

# (quantity, measured or published value, simulated value)
Values = list[tuple[str, float, float]]


@dataclass(frozen=True)
class Row:
    """One quantity of one case: measured, simulated with static fields and with crowd-aware
    routing (medians over the case's seeds)."""

    case: str
    quantity: str
    measured: float
    static: float
    crowd_aware: float
    chosen_on: bool
    """The option's settings were chosen on this case."""

    @property
    def static_error(self) -> float:
        return self.static / self.measured - 1

    @property
    def crowd_aware_error(self) -> float:
        return self.crowd_aware / self.measured - 1


@dataclass(frozen=True)
class Case:
    """A validation case: `run(routing, seeds)` gives its quantities."""

    name: str
    seeds: tuple[int, ...]
    chosen_on: bool
    run: Callable[[CrowdAwareRouting | None, tuple[int, ...]], Values]


@dataclass(frozen=True)
class CaseTiming:
    """Wall time of one case, both ways."""

    case: str
    seeds: int
    static_s: float
    crowd_aware_s: float


def corner(routing: CrowdAwareRouting | None, seeds: tuple[int, ...]) -> Values:
    result = corner_validation.validate(seeds, routing=routing)
    return [
        (label, corner_validation.value_of(result.measured, key),
         corner_validation.median_over_seeds(result, key))
        for label, key in corner_validation.ROWS
    ]  # fmt: skip


def wuppertal_door(routing: CrowdAwareRouting | None, seeds: tuple[int, ...]) -> Values:
    results = bottleneck_validation.validate(
        CollisionFreeSpeedModel(), seeds=seeds, densities=True, routing=routing
    )
    values: Values = []
    for r in results:
        assert r.measured_density is not None and r.simulated_density is not None
        values += [
            (f"{r.run}: flow (1/s)", r.measured_per_s, r.simulated_per_s),
            (f"{r.run}: waiting density, Voronoi mean (1/m²)",
             r.measured_density.mean_voronoi_per_m2, r.simulated_density.mean_voronoi_per_m2),
        ]  # fmt: skip
    return values


def corridor(routing: CrowdAwareRouting | None, seeds: tuple[int, ...]) -> Values:
    values: Values = []
    for p in corridor_validation.validate(seed=seeds[0], routing=routing):
        values += [
            (f"{p.run}: density (1/m²)", p.measured_density, p.simulated_density),
            (f"{p.run}: speed (m/s)", p.measured_speed, p.simulated_speed),
        ]
    return values


def bidirectional(routing: CrowdAwareRouting | None, seeds: tuple[int, ...]) -> Values:
    result = bidirectional_validation.validate(seeds, routing=routing)
    return [
        (label, getattr(result.measured, name), result.simulated(name))
        for name, label, _ in bidirectional_validation.QUANTITIES
    ]


def widths(routing: CrowdAwareRouting | None, seeds: tuple[int, ...]) -> Values:
    return [
        (f"{w.source}, {w.width_m:.1f} m: flow (1/s)", w.published_per_s, w.simulated_per_s)
        for w in bottleneck_widths.compare(seeds=seeds, routing=routing)
    ]


CASES = (
    Case("90° corner, 3 m (Jülich)", (0, 1, 2, 3, 4), True, corner),
    Case("Wuppertal 2018 bottleneck, 0.5 m", (0, 1, 2, 3, 4), True, wuppertal_door),
    Case("Uni-directional corridor, 1.8 m (Zhang 2011)", (0,), False, corridor),
    Case("Bidirectional corridor (BFR)", (0, 1, 2), True, bidirectional),
    Case("Bottleneck widths (Seyfried 2009, Liddle 2011)", (0, 1, 2), False, widths),
)


def compare(
    cases: Sequence[Case] = CASES, *, routing: CrowdAwareRouting | None = None
) -> tuple[list[Row], list[CaseTiming]]:
    """Every case with static fields and with `routing` (the default options if None)."""
    routing = routing or CrowdAwareRouting()
    rows: list[Row] = []
    timings = []
    for case in cases:
        began = time.perf_counter()
        static = case.run(None, case.seeds)
        middle = time.perf_counter()
        aware = case.run(routing, case.seeds)
        timings.append(
            CaseTiming(case.name, len(case.seeds), middle - began, time.perf_counter() - middle)
        )
        for (quantity, measured, s), (same, _, a) in zip(static, aware, strict=True):
            assert quantity == same
            rows.append(Row(case.name, quantity, measured, s, a, case.chosen_on))
    return rows, timings


def write_report(rows: list[Row], timings: list[CaseTiming], out_dir: Path) -> Path:
    """The comparison as a markdown table (crowd_aware_routing.md) in out_dir."""
    options = CrowdAwareRouting()
    lines = [
        "# Crowd-aware routing against the static floor fields",
        "",
        "`Simulation(..., routing=CrowdAwareRouting())` recomputes the floor fields every "
        f"{options.update_interval_s:g} s with a walking cost of v_free / v_Weidmann(ρ) per cell, "
        f"ρ the crowd's density smoothed over {options.smoothing_m:g} m and capped at "
        f"{options.density_cap_per_m2:g} /m² (Hughes 2002: people take the way that is quickest "
        "at the speed the crowd lets them walk), in which people walking against a target's way "
        f"count {options.counterflow_weight:g} times. It is off by default. Its settings were "
        "chosen on the corner, the Wuppertal door and (the counterflow weight) the bidirectional "
        "corridor (**chosen on** below); the other cases are validation. Same seeds both ways; "
        "medians over the seeds; error against the measured or published value; **closer** "
        "marks the rows where the crowd-aware error is smaller.",
        "",
        "| case | quantity | measured | static fields | error | crowd-aware | error | closer |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        role = " (chosen on)" if r.chosen_on else ""
        closer = "yes" if abs(r.crowd_aware_error) < abs(r.static_error) else ""
        lines.append(
            f"| {r.case}{role} | {r.quantity} | {r.measured:.2f} | {r.static:.2f} | "
            f"{r.static_error:+.0%} | {r.crowd_aware:.2f} | {r.crowd_aware_error:+.0%} | {closer} |"
        )
    lines += [
        "",
        "| case | seeds | wall time, static (s) | crowd-aware (s) | ratio |",
        "|---|---|---|---|---|",
    ]
    for t in timings:
        lines.append(
            f"| {t.case} | {t.seeds} | {t.static_s:.0f} | "
            f"{t.crowd_aware_s:.0f} | {t.crowd_aware_s / t.static_s:.2f} |"
        )
    validation = [r for r in rows if not r.chosen_on]
    improved = sum(abs(r.crowd_aware_error) < abs(r.static_error) for r in validation)
    lines += [
        "",
        f"On the cases it was not chosen on, crowd-aware routing is closer to the measurement in "
        f"{improved} of {len(validation)} quantities; mean absolute error "
        f"{_mean_abs(r.static_error for r in validation):.1%} with static fields, "
        f"{_mean_abs(r.crowd_aware_error for r in validation):.1%} crowd-aware.",
        "",
        "Reproduce: `.venv/bin/python -m experiments.crowd_aware_routing_validation`",
        "",
    ]
    return write_markdown(out_dir, "crowd_aware_routing.md", lines)


def _mean_abs(errors: Iterable[float]) -> float:
    values = [abs(e) for e in errors]
    return sum(values) / len(values)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=VALIDATION_DOCS)
    args = parser.parse_args(argv)
    rows, timings = compare()
    for r in rows:
        print(f"{r.case} | {r.quantity}: measured {r.measured:.2f}, static {r.static:.2f} "
              f"({r.static_error:+.0%}), crowd-aware {r.crowd_aware:.2f} "
              f"({r.crowd_aware_error:+.0%})")  # fmt: skip
    print(f"wrote {write_report(rows, timings, args.out)}")


if __name__ == "__main__":
    main()
