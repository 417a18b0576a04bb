"""The speed model's kernel alone, replayed on one frozen state: nanoseconds per agent, one thread.

A run is stopped at a chosen step; the arguments of that step's chunk kernel are kept and the
kernel is called on them again and again (velocities reset each time), timed by thread time.
Steadier than whole runs on a shared machine, and the state to profile instruction by instruction
(`perf record python -m benchmarks.kernel_replay ...`, see docs/engine.md, "Speed").

    python -m benchmarks.kernel_replay [--agents 15000 | --scenario ammonia_worst_case --at 900]
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import time
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numba
import numpy as np

from simulator import kernels

# Where the chunk kernel's arguments hold the velocities it writes and the crowd state it
# updates, and the chunk counter and agents it reads, taken from its signature by name.
_ARGUMENTS = list(inspect.signature(kernels.chunk_velocities.py_func).parameters)
NEXT_CHUNK, ORDERED, OUT_VX, OUT_VY, CROWD_STATE = (
    _ARGUMENTS.index(name) for name in ("next_chunk", "ordered", "out_vx", "out_vy", "crowd_state")
)


class _StopRunError(Exception):
    """Raised from inside the run once the chosen step's arguments are kept."""


def capture(step: int, run: Any) -> list[Any]:
    """The chunk kernel's arguments at call number `step` of `run()` (one thread: one call a
    step), copied."""
    kept: list[Any] = []
    original = kernels.chunk_velocities
    calls = 0

    def keep(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == step:
            kept.extend(a.copy() if isinstance(a, np.ndarray) else a for a in args)
            raise _StopRunError
        original(*args)

    kernels.chunk_velocities = keep
    try:
        run()
    except _StopRunError:
        pass
    finally:
        kernels.chunk_velocities = original
    if not kept:
        raise SystemExit(f"the run ended before step {step}")
    return kept


def benchmark_state(agents: int, step: int) -> list[Any]:
    """The benchmark's open square (benchmarks.engine_vs_jupedsim) at `step`."""
    from benchmarks.engine_vs_jupedsim import our_simulation

    sim = our_simulation(agents)
    return capture(step, lambda: sim.step(step))


def scenario_state(name: str, at_s: float) -> list[Any]:
    """A shipped scenario (or a scenario file) at `at_s` simulated seconds."""
    from experiments.single_run import run_scenario
    from scenarios.scenario_file import load_scenario

    loaded = load_scenario(name)
    with TemporaryDirectory() as folder:
        return capture(
            round(at_s / loaded.dt),
            lambda: run_scenario(loaded, Path(folder) / "run", trajectories=False, figures=False),
        )


def time_kernel(args: list[Any], repeats: int) -> list[float]:
    """Thread time per agent (ns) of each of `repeats` calls of the kernel on `args`."""
    next_chunk, ordered = args[NEXT_CHUNK], args[ORDERED]
    out_vx, out_vy, crowd_state = args[OUT_VX], args[OUT_VY], args[CROWD_STATE]
    vx, vy, crowd = out_vx.copy(), out_vy.copy(), crowd_state.copy()
    times = []
    for _ in range(repeats + 1):  # the first call compiles
        out_vx[:], out_vy[:], crowd_state[:], next_chunk[0] = vx, vy, crowd, 0
        start = time.thread_time()
        kernels.chunk_velocities(*args)
        times.append((time.thread_time() - start) / ordered.size * 1e9)
    return times[1:]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--agents", type=int, default=15000)
    parser.add_argument("--step", type=int, default=11, help="with --agents")
    parser.add_argument("--scenario", help="a shipped scenario or a scenario file instead")
    parser.add_argument("--at", type=float, default=900.0, help="with --scenario: seconds")
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    numba.set_num_threads(1)
    if args.scenario:
        state, label = scenario_state(args.scenario, args.at), f"{args.scenario} at {args.at:g} s"
    else:
        state, label = benchmark_state(args.agents, args.step), "the benchmark's open square"
    times = time_kernel(state, args.repeats)
    print(
        f"{label}: {state[ORDERED].size} agents, kernel {statistics.median(times):.0f} ns per "
        f"agent (median of {args.repeats}, min {min(times):.0f}; one thread)"
    )


if __name__ == "__main__":
    main()
