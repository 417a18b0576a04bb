"""`EvacuationModel`: the engine as a Mesa model (step, DataCollector, seeds through Mesa's rng).

Agents stay arrays in the engine; Mesa sees the model, not 15,000 Python agent objects, so the
step loop keeps its speed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import mesa
import numpy as np
import numpy.typing as npt
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from simulator.measurement import max_density_per_m2
from simulator.simulation import CollisionFreeSpeedModel, Simulation


def _net_flow(model: EvacuationModel, *, name: str) -> float:
    return model.simulation.line_counts[name].net


class EvacuationModel(mesa.Model):  # type: ignore[misc]
    """A crowd leaving a walkable area through its exits, stepped by Mesa.

    Each Mesa step advances the engine by `steps_per_tick` time steps. The DataCollector records
    the time, the evacuated count, the agents inside, the highest density (per 1 m² cell) and the
    net flow through each measurement line since the start.
    """

    def __init__(
        self,
        *,
        walkable_area: BaseGeometry,
        exits: Sequence[BaseGeometry],
        positions: npt.ArrayLike,
        measurement_lines: dict[str, LineString] | None = None,
        dt: float = 0.05,
        steps_per_tick: int = 20,
        parameters: CollisionFreeSpeedModel | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed=seed)
        engine_seed = int(self.rng.integers(2**31 - 1))
        self.simulation = Simulation(
            walkable_area=walkable_area, exits=exits, dt=dt, seed=engine_seed,
            parameters=parameters, measurement_lines=measurement_lines,
        )  # fmt: skip
        self.simulation.add_agents(positions=positions)
        self.steps_per_tick = steps_per_tick
        reporters: dict[str, Callable[[EvacuationModel], float]] = {
            "time_s": lambda m: m.simulation.time,
            "evacuated": lambda m: int(np.isfinite(m.simulation.exit_times).sum()),
            "inside": lambda m: m.simulation.agent_count,
            "max_density_per_m2": lambda m: max_density_per_m2(m.simulation.positions),
        }
        for name in self.simulation.line_counts:
            reporters[f"flow_{name}"] = partial(_net_flow, name=name)
        self.datacollector = mesa.DataCollector(model_reporters=reporters)
        self.datacollector.collect(self)

    def step(self) -> None:
        """Advance `steps_per_tick` engine steps (the engine counts line crossings), collect."""
        sim = self.simulation
        for _ in range(self.steps_per_tick):
            if sim.agent_count == 0:
                self.running = False
                break
            sim.step()
        self.datacollector.collect(self)
