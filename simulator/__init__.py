"""The crowd engine: Numba kernels on a raster of the walkable area, behind a small facade."""

from simulator.simulation import CollisionFreeSpeedModel, Simulation
from simulator.trajectory_writer import Hdf5TrajectoryWriter, TrajectoryWriter

__all__ = ["CollisionFreeSpeedModel", "Hdf5TrajectoryWriter", "Simulation", "TrajectoryWriter"]
