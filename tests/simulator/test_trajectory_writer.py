"""Trajectories: PedPy reads them as it reads the experiments; xarray reads the CF group."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pedpy
import pytest
import xarray as xr
from shapely.geometry import box

from simulator import Hdf5TrajectoryWriter, Simulation


def test_pedpy_and_xarray_read_a_run(tmp_path: Path) -> None:
    path = tmp_path / "trajectories.h5"
    area = box(0, 0, 10, 3)
    sim = Simulation(
        walkable_area=area, exits=[box(9.8, 0, 10, 3)], dt=0.05, seed=0,
        trajectory_writer=Hdf5TrajectoryWriter(path, every_nth_frame=4),
    )  # fmt: skip
    sim.add_agents(positions=[[1.0, 1.0], [1.0, 2.0], [2.0, 1.5]], desired_speed=1.0)
    sim.run(max_time_s=30)
    assert sim.agent_count == 0

    trajectory = pedpy.load_trajectory_from_ped_data_archive_hdf5(trajectory_file=path)
    walkable = pedpy.load_walkable_area_from_ped_data_archive_hdf5(trajectory_file=path)
    assert trajectory.frame_rate == pytest.approx(5.0)  # every 4th step of 0.05 s
    assert set(trajectory.data["id"]) == {0, 1, 2}
    assert walkable.polygon.equals(area)
    # Walking 1 m/s: agent 0 covers about 1 m per 5 frames while free.
    first = trajectory.data[trajectory.data["id"] == 0].sort_values("frame")
    assert first["x"].iloc[5] - first["x"].iloc[0] == pytest.approx(1.0, abs=0.15)
    speed = pedpy.compute_individual_speed(traj_data=trajectory, frame_step=2)
    assert speed["speed"].median() == pytest.approx(1.0, abs=0.1)

    cf = xr.open_dataset(path, group="cf", engine="h5netcdf", phony_dims="sort")
    assert cf.attrs["featureType"] == "trajectory"
    assert int(cf["row_size"].sum()) == cf.sizes["obs"] == len(trajectory.data)
    assert cf["x"].attrs["units"] == "m"
    np.testing.assert_allclose(np.diff(cf["time"].values[: int(cf["row_size"][0])]), 0.2)
    cf.close()
