"""Shared foundations of the Plzeň evacuation tool: the error hierarchy and the command line."""

from evac.errors import EvacError, ScenarioError, SimulationError, SiteError

__all__ = ["EvacError", "ScenarioError", "SimulationError", "SiteError"]
