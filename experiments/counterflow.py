"""Counterflow: two groups pass each other in a corridor, with and without the evasion rule.

A check of our addition to the model at higher density than the measured bidirectional
corridor (`experiments.bidirectional_validation` is the validation): the time until both groups
are out, per seed.

    python -m experiments.counterflow [--people 150] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
from shapely.geometry import box

from simulator import CollisionFreeSpeedModel, Simulation

LENGTH_M = 40.0
WIDTH_M = 5.0


def passing_time(
    people: int, *, seed: int, parameters: CollisionFreeSpeedModel, max_time_s: float = 400.0
) -> float | None:
    """Seconds until `people` walking east and `people` walking west, starting face to face in
    the middle of a 40 m x 5 m corridor, have all left by their far ends (None: not all did)."""
    sim = Simulation(
        walkable_area=box(0, 0, LENGTH_M, WIDTH_M),
        exits=[box(0, 0, 0.4, WIDTH_M), box(LENGTH_M - 0.4, 0, LENGTH_M, WIDTH_M)],
        seed=seed, exit_choice="nearest", parameters=parameters,
    )  # fmt: skip
    rng = np.random.default_rng(seed)

    def block(x0: float, x1: float) -> np.ndarray:
        xs, ys = np.meshgrid(np.arange(x0, x1, 0.6), np.arange(0.4, WIDTH_M - 0.3, 0.6))
        points = np.column_stack([xs.ravel(), ys.ravel()])
        return points[rng.choice(len(points), people, replace=False)]

    middle = LENGTH_M / 2
    sim.add_agents(positions=block(middle - 14, middle - 1), exit=1)
    sim.add_agents(positions=block(middle + 1, middle + 14), exit=0)
    sim.run(max_time_s=max_time_s)
    return None if sim.agent_count else float(np.nanmax(sim.exit_times))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=150, help="in each direction")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    default = CollisionFreeSpeedModel()
    # The smallest strength the parameter checks accept: the rule switched off in effect.
    without = dataclasses.replace(default, evasion_strength=1e-9)
    for label, parameters in (("with evasion", default), ("without", without)):
        times = [passing_time(args.people, seed=s, parameters=parameters) for s in args.seeds]
        shown = ", ".join("stuck" if t is None else f"{t:.0f} s" for t in times)
        print(f"{args.people} + {args.people} people, {label}: {shown}")


if __name__ == "__main__":
    main()
