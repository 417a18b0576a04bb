"""Calibration of the collision-free speed model's crowd time gap and crowd memory on
bottleneck flows.

The single-file time gap stays at its published 1 s (see `CollisionFreeSpeedModel`); the time
gap kept with people walking beside, and how long it is kept once the crowd round one thins,
are the two calibrated here, over a grid of both.

Calibration set: the Wuppertal 2018 run 030_c_56_h0 (0.5 m, measured trajectories) and the five
widths of Seyfried et al. 2009 (0.8-1.2 m, published flows). Validation set, never used here:
Wuppertal run 040_c_56_h- and the eight widths of Liddle et al. 2011 (0.9-2.0 m), see
`bottleneck_validation` and `bottleneck_widths`. The chosen pair has the smallest root mean
square of the relative flow errors over the six calibration cases (median flows over the seeds);
pairs within TIE_POINTS of that count as tied (the seed noise), and of tied pairs the shortest
memory (the least departure from the published model) and then the largest time gap (the lowest
flows, the conservative side for clearance times) is chosen. The grid's shortest memory, a
millisecond, is the model without memory.

Ten seeds per case by default: with three, a change in the last bits of the arithmetic (same
model) moved single widths' flows by up to 8 percentage points and the RMS by 2.

    python -m experiments.time_gap_calibration [--time-gaps 0.35 0.37 ...]
        [--crowd-memories 0.001 2 ...] [--seeds 10]
"""

from __future__ import annotations

import argparse
import math

from experiments.bottleneck_validation import WUPPERTAL_RUNS, validate
from experiments.bottleneck_widths import CALIBRATION_SOURCE, PUBLISHED, compare
from simulator import CollisionFreeSpeedModel

TIME_GAPS_S = (0.33, 0.35, 0.36, 0.37, 0.38, 0.40)
CROWD_MEMORIES_S = (0.001, 1.0, 2.0, 3.0, 4.0)
TIE_POINTS = 0.005  # half a percentage point of RMS
SEEDS = 10
CALIBRATION_WIDTHS = tuple(row for row in PUBLISHED if row[0] == CALIBRATION_SOURCE)


def calibration_errors(
    parameters: CollisionFreeSpeedModel, *, seeds: int = SEEDS
) -> dict[str, float]:
    """Relative flow error of each calibration case, from the median flow over seeds 0..seeds-1."""
    seed_range = tuple(range(seeds))
    wuppertal = validate(parameters, seeds=seed_range, runs=WUPPERTAL_RUNS[:1])[0]
    errors = {f"Wuppertal {wuppertal.run}": wuppertal.relative_error}
    for row in compare(rows=CALIBRATION_WIDTHS, parameters=parameters, seeds=seed_range):
        errors[f"{row.source} {row.width_m} m"] = row.relative_error
    return errors


def rms(errors: dict[str, float]) -> float:
    """Root mean square of the relative errors."""
    return math.sqrt(sum(e * e for e in errors.values()) / len(errors))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--time-gaps", type=float, nargs="+", default=list(TIME_GAPS_S))
    parser.add_argument("--crowd-memories", type=float, nargs="+", default=list(CROWD_MEMORIES_S))
    parser.add_argument("--seeds", type=int, default=SEEDS, help="seeds per case")
    args = parser.parse_args(argv)
    by_pair = {}
    for memory in args.crowd_memories:
        for time_gap in args.time_gaps:
            parameters = CollisionFreeSpeedModel(crowd_time_gap_s=time_gap, crowd_memory_s=memory)
            errors = calibration_errors(parameters, seeds=args.seeds)
            by_pair[memory, time_gap] = rms(errors)
            cases = ", ".join(f"{name} {error:+.1%}" for name, error in errors.items())
            print(
                f"crowd memory {memory:g} s, crowd time gap {time_gap:.2f} s: "
                f"RMS {by_pair[memory, time_gap]:.1%} ({cases})",
                flush=True,
            )
    memory, time_gap = choose(by_pair)
    print(f"chosen: crowd memory {memory:g} s, crowd time gap {time_gap:.2f} s")


def choose(rms_by_pair: dict[tuple[float, float], float]) -> tuple[float, float]:
    """Of the (crowd memory, crowd time gap) pairs whose RMS error is within TIE_POINTS of the
    smallest, the one with the shortest memory and, of those, the largest time gap."""
    best = min(rms_by_pair.values())
    tied = [pair for pair, error in rms_by_pair.items() if error <= best + TIE_POINTS]
    shortest = min(memory for memory, _ in tied)
    return shortest, max(gap for memory, gap in tied if memory == shortest)


if __name__ == "__main__":
    main()
