"""The crowd engine: Numba kernels on a raster of the walkable area, behind a small facade."""

from simulator.crowd_aware_routing import CrowdAwareRouting
from simulator.floor_field import FloorFieldStore
from simulator.measurement import LineCounter, max_density_per_m2
from simulator.mesa_model import EvacuationModel
from simulator.simulation import CollisionFreeSpeedModel, Simulation, SocialForceModel
from simulator.trajectory_writer import Hdf5TrajectoryWriter, TrajectoryWriter

__all__ = [
    "CollisionFreeSpeedModel",
    "CrowdAwareRouting",
    "EvacuationModel",
    "FloorFieldStore",
    "Hdf5TrajectoryWriter",
    "LineCounter",
    "Simulation",
    "SocialForceModel",
    "TrajectoryWriter",
    "max_density_per_m2",
]
