"""One scenario run to a result folder: summary.json, trajectories.h5 and the evacuation curve."""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from rich.progress import Progress
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from evac.errors import ScenarioError
from scenarios.scenario_file import Scenario
from simulator import Hdf5TrajectoryWriter, Simulation, max_density_per_m2

FloatArray = npt.NDArray[np.float64]


def place_agents(
    area: Polygon, count: int, rng: np.random.Generator, *, radius: float, key: str
) -> FloatArray:
    """`count` random positions in `area`, at least two radii apart (a jittered hexagonal grid)."""
    inner = area.buffer(-radius)
    capacity_spacing = 2 * radius + 0.02
    if inner.is_empty:
        raise ScenarioError(f"{key} is too narrow for anyone to stand in")
    spacing = max(np.sqrt(inner.area / (count * 0.866)), capacity_spacing)
    while True:
        candidates = _hexagonal_grid(inner, spacing)
        if candidates.shape[0] >= count or spacing <= capacity_spacing:
            break
        spacing = max(spacing * 0.92, capacity_spacing)
    if candidates.shape[0] < count:
        raise ScenarioError(
            f"{key}: {count} people do not fit in {area.area:.0f} m² "
            f"(at most about {candidates.shape[0]} at {capacity_spacing:.2f} m apart)"
        )
    chosen = candidates[rng.choice(candidates.shape[0], count, replace=False)]
    # Each coordinate moves at most `slack`, so two neighbours close in by at most 2·√2·slack.
    slack = max(0.0, (spacing - 2 * radius) / (2 * np.sqrt(2)) - 1e-6)
    jitter = rng.uniform(-slack, slack, chosen.shape)
    jittered = chosen + jitter
    keep = shapely.contains_xy(inner, jittered[:, 0], jittered[:, 1])
    chosen[keep] = jittered[keep]
    return np.asarray(chosen, dtype=float)


def _hexagonal_grid(area: BaseGeometry, spacing: float) -> FloatArray:
    """The points of a hexagonal grid of the given spacing that lie in the area."""
    x0, y0, x1, y1 = area.bounds
    rows = np.arange(y0, y1 + spacing, spacing * 0.866)
    points = np.array(
        [
            (x + (spacing / 2 if r % 2 else 0.0), y)
            for r, y in enumerate(rows)
            for x in np.arange(x0, x1 + spacing, spacing)
        ]
    )
    return np.asarray(points[shapely.contains_xy(area, points[:, 0], points[:, 1])], dtype=float)


def run_scenario(scenario: Scenario, out_dir: Path, *, seed: int | None = None) -> dict[str, Any]:
    """Run a scenario and write its result folder; returns the summary.

    Outputs are written to a sibling folder first and moved into place at the end, so a failed
    run leaves no half-written result.
    """
    seed = scenario.seed if seed is None else seed
    partial = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        summary = _run(scenario, partial, seed)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if out_dir.exists():
        shutil.rmtree(out_dir)
    partial.replace(out_dir)
    return summary


def _run(scenario: Scenario, folder: Path, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    writer = Hdf5TrajectoryWriter(
        folder / "trajectories.h5", every_nth_frame=scenario.trajectory_every_nth_frame
    )
    sim = Simulation(
        walkable_area=scenario.walkable_area, exits=scenario.exits, model=scenario.model,
        dt=scenario.dt, seed=seed, trajectory_writer=writer,
        measurement_lines=scenario.measurement_lines,
    )  # fmt: skip
    rng = np.random.default_rng(seed)
    for index, group in enumerate(scenario.agents):
        positions = place_agents(
            group.area, group.count, rng, radius=sim.parameters.radius_m, key=f"agents[{index}]"
        )
        sim.add_agents(positions=positions, exit=group.exit, desired_speed=group.desired_speed)
    steps = round(scenario.duration_s / scenario.dt)
    peak_density = max_density_per_m2(sim.positions)
    with Progress(transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task(f"{scenario.name}", total=steps)
        for step in range(steps):
            if sim.agent_count == 0:
                break
            sim.step()
            if step % scenario.trajectory_every_nth_frame == 0:
                peak_density = max(peak_density, max_density_per_m2(sim.positions))
            progress.update(task, advance=1)
    sim.close()
    summary = _summary(scenario, sim, seed, peak_density, time.perf_counter() - started)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    _evacuation_curve(sim.exit_times, folder / "evacuation_curve.png", title=scenario.name)
    return summary


def _summary(
    scenario: Scenario, sim: Simulation, seed: int,
    peak_density: float, wall_time: float,
) -> dict[str, Any]:  # fmt: skip
    times = sim.exit_times
    total = times.size
    out = np.sort(times[np.isfinite(times)])

    def quantile_time(share: float) -> float | None:
        needed = int(np.ceil(share * total))
        return round(float(out[needed - 1]), 2) if 0 < needed <= out.size else None

    elapsed = sim.time
    return {
        "scenario": scenario.name,
        "source": scenario.source,
        "model": scenario.model,
        "seed": seed,
        "dt_s": scenario.dt,
        "agents_total": int(total),
        "evacuated": int(out.size),
        "t50_s": quantile_time(0.50),
        "t95_s": quantile_time(0.95),
        "t100_s": quantile_time(1.0),
        "max_density_per_m2": round(peak_density, 2),
        "flows": {
            name: {
                "forward": c.forward,
                "backward": c.backward,
                "net": c.net,
                "mean_per_s": round((c.forward + c.backward) / elapsed, 3) if elapsed else 0.0,
            }
            for name, c in sim.line_counts.items()
        },
        "simulated_time_s": round(elapsed, 2),
        "wall_time_s": round(wall_time, 2),
    }


def _evacuation_curve(exit_times: FloatArray, path: Path, *, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = np.sort(exit_times[np.isfinite(exit_times)])
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.step(np.concatenate([[0.0], out]), np.arange(out.size + 1), where="post")
    ax.axhline(exit_times.size, color="grey", lw=0.8, ls="--", label="everyone")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("people out")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
