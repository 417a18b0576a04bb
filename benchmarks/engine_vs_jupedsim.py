"""Crowd engine throughput: ours against JuPedSim 1.4's collision-free speed model, same run.

Both engines get the same open square (exits along two sides), the same initial positions, the
same time step (0.05 s), radius (0.2 m), time gap (1 s) and desired speed (1.34 m/s). Each engine
runs in its own process, so that peak memory is its own. Reported: agent-steps per second
(agents inside summed over the timed steps, divided by the wall time), the ratio, and the peak
resident memory of each process. Machines are shared and noisy: each figure is the median of
`--repeats` runs.

    python -m benchmarks.engine_vs_jupedsim [--agents 5000 15000 30000 60000] [--steps 40]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from shapely.geometry import Polygon, box

if TYPE_CHECKING:  # imported in the worker process only: each engine's memory is its own
    from simulator import Simulation

DT = 0.05
RADIUS = 0.2
TIME_GAP = 1.0
SPEED = 1.34
WARM_UP_STEPS = 5


def scenario(agents: int, seed: int = 0) -> tuple[Polygon, list[Polygon], np.ndarray]:
    """An open square with exits on its east and north sides; agents on a jittered 1.2 m grid."""
    side = float(np.ceil(np.sqrt(agents) * 1.2))
    area = box(0, 0, side + 20, side + 20)
    exits = [box(side + 19.5, 0, side + 20, side + 20), box(0, side + 19.5, side + 19.5, side + 20)]
    xs, ys = np.meshgrid(np.arange(1.0, side + 1, 1.2), np.arange(1.0, side + 1, 1.2))
    grid = np.column_stack([xs.ravel(), ys.ravel()])[:agents]
    jitter = np.random.default_rng(seed).uniform(-0.2, 0.2, grid.shape)
    return area, exits, grid + jitter


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def our_simulation(agents: int) -> Simulation:
    """Our engine on the benchmark's square with `agents` placed, the model set as JuPedSim's."""
    from simulator import CollisionFreeSpeedModel, Simulation

    area, exits, positions = scenario(agents)
    same_as_jupedsim = CollisionFreeSpeedModel(  # the published model: one gap, nobody passes
        time_gap_s=TIME_GAP, crowd_time_gap_s=TIME_GAP, radius_m=RADIUS, overtaking_angle_deg=1e-9
    )
    sim = Simulation(
        walkable_area=area, exits=exits, dt=DT, seed=0, resolution=0.25, parameters=same_as_jupedsim
    )
    sim.add_agents(positions=positions, desired_speed=SPEED)
    return sim


def run_ours(agents: int, steps: int) -> dict[str, float]:
    sim = our_simulation(agents)
    sim.step(WARM_UP_STEPS)  # compiles the kernels (cached on disk after the first run)
    agent_steps = 0
    start = time.perf_counter()
    for _ in range(steps):
        agent_steps += sim.agent_count
        sim.step()
    elapsed = time.perf_counter() - start
    return {"agent_steps_per_s": agent_steps / elapsed, "peak_rss_mb": _peak_rss_mb()}


def run_jupedsim(agents: int, steps: int) -> dict[str, float]:
    import jupedsim as jps

    area, exits, positions = scenario(agents)
    sim = jps.Simulation(model=jps.CollisionFreeSpeedModel(), geometry=area, dt=DT)
    stages = [sim.add_exit_stage(e) for e in exits]
    journeys = [sim.add_journey(jps.JourneyDescription([s])) for s in stages]
    for x, y in positions:
        # JuPedSim has no "nearest exit": send each agent to the exit nearer in a straight line.
        k = 0 if (area.bounds[2] - x) < (area.bounds[3] - y) else 1
        sim.add_agent(
            jps.CollisionFreeSpeedModelAgentParameters(
                journey_id=journeys[k], stage_id=stages[k], position=(float(x), float(y)),
                desired_speed=SPEED, radius=RADIUS, time_gap=TIME_GAP,
            )
        )  # fmt: skip
    sim.iterate(WARM_UP_STEPS)
    agent_steps = 0
    start = time.perf_counter()
    for _ in range(steps):
        agent_steps += sim.agent_count()
        sim.iterate(1)
    elapsed = time.perf_counter() - start
    return {"agent_steps_per_s": agent_steps / elapsed, "peak_rss_mb": _peak_rss_mb()}


def _in_child(engine: str, agents: int, steps: int, queue: Any) -> None:
    runner = run_ours if engine == "ours" else run_jupedsim
    queue.put(runner(agents, steps))


def measure(engine: str, agents: int, steps: int) -> dict[str, float]:
    """Run one engine in a fresh process and return its figures."""
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_in_child, args=(engine, agents, steps, queue))
    process.start()
    result: dict[str, float] = queue.get()
    process.join()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--agents", type=int, nargs="+", default=[5000, 15000, 30000, 60000])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("out/bench_engine.json"))
    args = parser.parse_args(argv)
    rows = []
    print(f"{'agents':>7} {'ours [steps/s]':>15} {'JuPedSim':>12} {'ratio':>6} "
          f"{'ours RSS':>9} {'JPS RSS':>8} {'ours ns/agent-step':>19}")  # fmt: skip
    for agents in args.agents:
        ours = [measure("ours", agents, args.steps) for _ in range(args.repeats)]
        theirs = [measure("jupedsim", agents, args.steps) for _ in range(args.repeats)]
        row = {
            "agents": agents,
            "ours_agent_steps_per_s": statistics.median(r["agent_steps_per_s"] for r in ours),
            "jupedsim_agent_steps_per_s": statistics.median(r["agent_steps_per_s"] for r in theirs),
            "ours_peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in ours),
            "jupedsim_peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in theirs),
        }
        row["ratio"] = row["ours_agent_steps_per_s"] / row["jupedsim_agent_steps_per_s"]
        rows.append(row)
        print(f"{agents:>7} {row['ours_agent_steps_per_s']:>15.3g} "
              f"{row['jupedsim_agent_steps_per_s']:>12.3g} {row['ratio']:>6.1f} "
              f"{row['ours_peak_rss_mb']:>8.0f}M {row['jupedsim_peak_rss_mb']:>7.0f}M "
              f"{1e9 / row['ours_agent_steps_per_s']:>19.0f}")  # fmt: skip
    if len(rows) > 1:
        base = next((r for r in rows if r["agents"] == 15000), rows[0])
        last = rows[-1]
        scaling = base["ours_agent_steps_per_s"] / last["ours_agent_steps_per_s"]
        print(f"cost per agent-step at {last['agents']} vs {base['agents']} agents: {scaling:.2f}x")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
