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
from rich.progress import Progress

from experiments.crowding import CrowdingMeter
from scenarios.ammonia_hazard import AmmoniaHazard
from scenarios.attack import AttackHazard
from scenarios.population import Population, place_agents
from scenarios.scenario_file import Scenario
from scenarios.site_run import prepare_site_run
from scenarios.situation import situation_of
from simulator import CrowdAwareRouting, FloorFieldStore, Hdf5TrajectoryWriter, Simulation

FloatArray = npt.NDArray[np.float64]
DENSITY_SAMPLE_S = 1.0
CURVE_STEP_S = 10.0


def run_scenario(
    scenario: Scenario, out_dir: Path, *, seed: int | None = None, trajectories: bool = True,
    figures: bool = True, labels: dict[str, Any] | None = None,
    field_store: FloorFieldStore | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Run a scenario and write its result folder; returns the summary.

    Outputs are written to a sibling folder first and moved into place at the end, so a failed
    run leaves no half-written result. Ensembles can leave out the trajectories and figures,
    and add `labels` (e.g. the plan) to the summary, and share floor fields with other runs
    through `field_store`.
    """
    seed = scenario.seed if seed is None else seed
    partial = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        summary = _run(
            scenario, partial, seed, trajectories=trajectories, figures=figures,
            labels=labels or {}, field_store=field_store,
        )  # fmt: skip
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if out_dir.exists():
        shutil.rmtree(out_dir)
    partial.replace(out_dir)
    return summary


def _run(
    scenario: Scenario, folder: Path, seed: int, *, trajectories: bool, figures: bool,
    labels: dict[str, Any], field_store: FloorFieldStore | None,
) -> dict[str, Any]:  # fmt: skip
    started = time.perf_counter()
    writer = (
        Hdf5TrajectoryWriter(
            folder / "trajectories.h5", every_nth_frame=scenario.trajectory_every_nth_frame
        )
        if trajectories
        else None
    )
    site_run = None
    if scenario.site is not None:
        site_run = prepare_site_run(
            scenario.site, dt=scenario.dt, seed=seed, model=scenario.model,
            trajectory_writer=writer, extra_lines=scenario.measurement_lines,
            field_store=field_store,
        )  # fmt: skip
        sim = site_run.simulation
        destination_names = [d.name for d in site_run.venue.destinations]
    else:
        sim = _drawn_venue_simulation(scenario, seed, writer, field_store)
        destination_names = [f"exit {k}" for k in range(len(sim.venue.exits))]
    site = site_run.venue.site if site_run is not None else None
    ammonia = (
        AmmoniaHazard(scenario.ammonia, sim, site=site, people=sim.agent_count)
        if scenario.ammonia is not None
        else None
    )
    attack = (
        AttackHazard(
            scenario.attack,
            site=site,
            people=sim.agent_count,
            seed=seed,
            inside=site_run.stadium if site_run is not None else None,
        )
        if scenario.attack is not None
        else None
    )
    crowding = CrowdingMeter(sim, every_s=DENSITY_SAMPLE_S)
    crowding.sample(sim)
    steps = round(scenario.duration_s / scenario.dt)
    next_second = 0.0
    with Progress(transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task(f"{scenario.name}", total=steps)
        for _ in range(steps):
            if sim.agent_count == 0:
                break
            if sim.time >= next_second:
                if site_run is not None:
                    site_run.closures.update(sim)
                if ammonia is not None:
                    ammonia.update(sim)
                if attack is not None:
                    attack.update(sim)
                next_second += 1.0
            sim.step()
            crowding.sample(sim)
            progress.update(task, advance=1)
    sim.close()
    summary = _summary(scenario, sim, seed, crowding, time.perf_counter() - started)
    summary["destinations"] = destination_clearance(sim, destination_names)
    summary["density_hot_spots"] = crowding.hot_spots()
    if site_run is not None:
        summary["origins"] = origin_clearance(sim, site_run.population)
        summary["situation"] = situation_of(scenario)
    # Every run reports the hazard metrics; without that hazard they are zero.
    summary.update(
        exposed_above_aegl1=0, exposed_above_aegl2=0, exposed_above_aegl3=0,
        expected_fatalities=0.0, casualties=0,
    )  # fmt: skip
    if ammonia is not None:
        summary.update(ammonia.summary())
        ammonia.write(folder / "hazard.nc")
    if attack is not None:
        summary.update(attack.summary())
    summary["evacuation_curve"] = evacuation_counts(sim.exit_times, until_s=sim.time)
    summary.update(labels)
    (folder / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    if figures:
        _evacuation_curve(sim.exit_times, folder / "evacuation_curve.png", title=scenario.name)
        crowding.draw(
            folder / "density_map.png", walkable_area=sim.venue.walkable_area, title=scenario.name
        )
    return summary


def evacuation_counts(exit_times: FloatArray, *, until_s: float) -> dict[str, Any]:
    """People out by every CURVE_STEP_S seconds of the run (the evacuation curve as numbers)."""
    times = np.arange(0.0, until_s + CURVE_STEP_S, CURVE_STEP_S)
    arrived = np.sort(exit_times[np.isfinite(exit_times)])
    counts = np.searchsorted(arrived, times, side="right")
    return {"every_s": CURVE_STEP_S, "out": [int(c) for c in counts]}


def _drawn_venue_simulation(
    scenario: Scenario,
    seed: int,
    writer: Hdf5TrajectoryWriter | None,
    field_store: FloorFieldStore | None,
) -> Simulation:
    assert scenario.walkable_area is not None
    sim = Simulation(
        walkable_area=scenario.walkable_area, exits=scenario.exits, model=scenario.model,
        dt=scenario.dt, seed=seed, trajectory_writer=writer, field_store=field_store,
        measurement_lines=scenario.measurement_lines,
        routing=CrowdAwareRouting() if scenario.routing == "crowd_aware" else None,
    )  # fmt: skip
    rng = np.random.default_rng(seed)
    for index, group in enumerate(scenario.agents):
        positions = place_agents(
            group.area, group.count, rng, radius=sim.parameters.radius_m, key=f"agents[{index}]"
        )
        sim.add_agents(positions=positions, exit=group.exit, desired_speed=group.desired_speed)
    return sim


def destination_clearance(sim: Simulation, names: list[str]) -> dict[str, dict[str, Any]]:
    """Per destination: arrivals and the times by which half, 95 % and all of them arrived."""
    times, used = sim.exit_times, sim.exits_used
    out: dict[str, dict[str, Any]] = {}
    for index, name in enumerate(names):
        arrived = np.sort(times[used == index])
        out[name] = {
            "arrived": int(arrived.size),
            "t50_s": time_by_share(arrived, 0.5, arrived.size),
            "t95_s": time_by_share(arrived, 0.95, arrived.size),
            "t100_s": time_by_share(arrived, 1.0, arrived.size),
        }
    return out


def origin_clearance(sim: Simulation, population: Population) -> dict[str, dict[str, Any]]:
    """Per sector or zone: its people, how many arrived, and by when 95 % and all of them had."""
    times = sim.exit_times
    out: dict[str, dict[str, Any]] = {}
    for index, origin in enumerate(population.origins):
        mine = times[population.origin == index]
        arrived = np.sort(mine[np.isfinite(mine)])

        out[origin.name] = {
            "people": int(mine.size),
            "arrived": int(arrived.size),
            "t95_s": time_by_share(arrived, 0.95, mine.size),
            "t100_s": time_by_share(arrived, 1.0, mine.size),
        }
    return out


def times_text(summary: dict[str, Any], *keys: str) -> str:
    """A run's clearance times as text, e.g. times_text(summary, "t50_s", "t95_s") ->
    "T50 612.3 s, T95 not reached"."""
    return ", ".join(
        f"{key.removesuffix('_s').upper()} "
        + ("not reached" if summary[key] is None else f"{summary[key]} s")
        for key in keys
    )


def time_by_share(sorted_arrivals: FloatArray, share: float, total: int) -> float | None:
    """When `share` of `total` people had arrived (arrival times sorted); None if they never did."""
    needed = int(np.ceil(share * total))
    return (
        round(float(sorted_arrivals[needed - 1]), 2) if 0 < needed <= sorted_arrivals.size else None
    )


def _summary(
    scenario: Scenario, sim: Simulation, seed: int, crowding: CrowdingMeter, wall_time: float
) -> dict[str, Any]:
    times = sim.exit_times
    total = times.size
    out = np.sort(times[np.isfinite(times)])
    elapsed = sim.time
    return {
        "scenario": scenario.name,
        "source": scenario.source,
        "model": scenario.model,
        "routing": scenario.routing,
        "seed": seed,
        "dt_s": scenario.dt,
        "agents_total": int(total),
        "evacuated": int(out.size),
        "t50_s": time_by_share(out, 0.50, total),
        "t95_s": time_by_share(out, 0.95, total),
        "t100_s": time_by_share(out, 1.0, total),
        "max_density_per_m2": round(crowding.peak_per_m2, 2),
        "mean_walking_distance_m": round(float(sim.walked_distances.mean()), 1) if total else 0.0,
        "person_seconds_above_4_per_m2": round(crowding.person_seconds_above_4, 1),
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
