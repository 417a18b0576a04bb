"""The crowd engine: Numba kernels on a raster of the walkable area, behind a small facade."""

from simulator.simulation import CollisionFreeSpeedModel, Simulation

__all__ = ["CollisionFreeSpeedModel", "Simulation"]
