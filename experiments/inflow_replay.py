"""Replaying a measured inflow: each tracked person enters the simulation where and when the
experiment first saw them (shared by the corridor and corner validations)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pedpy
from shapely.geometry.base import BaseGeometry

from simulator import CollisionFreeSpeedModel, CrowdAwareRouting, Hdf5TrajectoryWriter, Simulation

# An entry waits while someone stands closer to its spot than two radii (0.18 m each).
ENTRY_CLEARANCE_M = 0.36


def load_tracked(path: Path, *, fps: float) -> pedpy.TrajectoryData:
    """A Jülich trajectory file (frame, id, x, y in centimetres) at its frame rate."""
    return pedpy.load_trajectory(
        trajectory_file=path, default_frame_rate=fps, default_unit=pedpy.TrajectoryUnit.CENTIMETER
    )


def replay_entries(
    sim: Simulation,
    *,
    frames: npt.NDArray[np.int64],
    positions: npt.NDArray[np.float64],
    exits: npt.NDArray[np.int64] | None,
    steps_per_frame: int,
    until_frame: int,
    desired_speeds: npt.NDArray[np.float64] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Step `sim` one measured frame at a time, adding person k at positions[k] from frames[k]
    on (bound for exits[k], or the model's exit choice when None; walking at desired_speeds[k],
    or the model's Weidmann speeds when None); an entry waits while its spot is taken. Stops
    when everyone has entered and left, or after `until_frame`.

    Returns, in the order added (= simulated ids): the person added, and how many frames its
    entry waited."""
    pending = list(range(len(frames)))
    added: list[int] = []
    waited: list[int] = []
    frame = 0
    while frame <= until_frame and (pending or sim.agent_count):
        waiting = []
        for k in pending:
            if frames[k] > frame:
                waiting.append(k)
                continue
            position = positions[k : k + 1]
            gaps = np.hypot(*(sim.positions - position).T)
            if gaps.size and gaps.min() < ENTRY_CLEARANCE_M:
                waiting.append(k)  # the spot is taken: try again next frame
                continue
            sim.add_agents(
                positions=position,
                exit=None if exits is None else int(exits[k]),
                desired_speed=None if desired_speeds is None else float(desired_speeds[k]),
            )
            added.append(k)
            waited.append(frame - int(frames[k]))
        pending = waiting
        sim.step(steps_per_frame)
        frame += 1
    return np.array(added, dtype=np.int64), np.array(waited, dtype=np.int64)


@dataclass(frozen=True)
class ReplayedRun:
    """A measured inflow replayed: the simulated trajectories (at the measured frame rate, frames
    counted as the measured ones), the simulation after its last step, and per simulated id the
    person added and how many frames its entry waited (see `replay_entries`)."""

    trajectory: pedpy.TrajectoryData = field(compare=False)
    simulation: Simulation = field(compare=False)
    added: npt.NDArray[np.int64] = field(compare=False)
    waited: npt.NDArray[np.int64] = field(compare=False)


def replay_run(
    first: pd.DataFrame, *, walkable_area: BaseGeometry, exits: list[BaseGeometry], fps: float,
    steps_per_frame: int, until_frame: int, seed: int, exit_of: npt.NDArray[np.int64] | None = None,
    desired_speeds: npt.NDArray[np.float64] | None = None,
    parameters: CollisionFreeSpeedModel | None = None, routing: CrowdAwareRouting | None = None,
) -> ReplayedRun:  # fmt: skip
    """Replay the entries of `first` (columns frame, x, y: each person's first tracked frame and
    position, in order of entry) on a 0.05 m raster with dt = 1 / (fps * steps_per_frame),
    writing every `steps_per_frame`-th step; `exit_of`, `desired_speeds`: per person, see
    `replay_entries`."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "run.h5"
        sim = Simulation(
            walkable_area=walkable_area, exits=exits, dt=1 / (fps * steps_per_frame), seed=seed,
            resolution=0.05, parameters=parameters, routing=routing,
            trajectory_writer=Hdf5TrajectoryWriter(path, every_nth_frame=steps_per_frame),
        )  # fmt: skip
        added, waited = replay_entries(
            sim, frames=first["frame"].to_numpy(dtype=np.int64),
            positions=first[["x", "y"]].to_numpy(dtype=np.float64), exits=exit_of,
            steps_per_frame=steps_per_frame, until_frame=until_frame,
            desired_speeds=desired_speeds,
        )  # fmt: skip
        sim.close()
        trajectory = pedpy.load_trajectory_from_ped_data_archive_hdf5(trajectory_file=path)
    return ReplayedRun(trajectory=trajectory, simulation=sim, added=added, waited=waited)
