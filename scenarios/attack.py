"""The [attack] section: an active shooter or an explosion, the alarm, flight, a cordon, and
casualties; coupled to the engine through start times, speed factors, a route cost, closed areas
and removals.

    [attack]
    kind = "shooter"            # or "explosion"
    at = "Gate 3 (north-west)"  # a place, gate, street or sensor on the map (an alert from a
                                # sensor starts the attack there), or xy = [x, y]
    start_s = 0
    police_arrive_s = 300       # shooter: stopped this long after the start
    tnt_kg = 9.2                # explosion: charge (the cordon radius follows the NCTC chart)

Model (every simulated second; the constants are documented guesses, hazards.md has no better):
- Perception: people within 50 m (inside the stadium's noise) or 200 m (outside) of the threat
  notice it; the alarm then spreads outward at 4 m/s (running speed, word of mouth).
- Flight: alarmed people start at once, walk 1.8 times their speed (capped at 3 m/s by the
  engine's speed cap of 5x), and their routes avoid the threat: a route cost that is 50 at the
  threat and falls off over 40 m.
- Shooter: walks at 1.5 m/s toward the densest group within 60 m; fires about once every two
  seconds at the nearest person within 30 m; a shot hits with probability 0.5·exp(-d / 15 m).
  People hit are casualties and leave the simulation where they fell. Stopped at police arrival.
- Explosion: scaled distance Z = d / W^(1/3) (m/kg^(1/3)); everyone within Z 2.5 is a casualty,
  with probability falling linearly to 0 at Z 8 (eardrum rupture and debris range).
- Cordon: two minutes after the start the area within the NCTC mandatory evacuation distance is
  closed (nobody enters it; people inside walk out).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from city_data.site import Site
from evac.errors import ScenarioError, SimulationError, SiteError
from scenarios import checks
from scenarios.site_setup import named_area
from simulator import Simulation
from simulator.measurement import local_densities

KINDS = ("shooter", "explosion")
_KEYS = {"kind", "at", "xy", "start_s", "police_arrive_s", "tnt_kg", "cordon_delay_s"}
PERCEPTION_INSIDE_M = 50.0
PERCEPTION_OUTSIDE_M = 200.0
ALARM_SPEED_M_S = 4.0
FLIGHT_SPEED_FACTOR = 1.8
AVOID_COST = 50.0
AVOID_RANGE_M = 40.0
SHOOTER_SPEED_M_S = 1.5
SHOOTER_SEARCH_M = 60.0
FIRE_RANGE_M = 30.0
SHOTS_PER_S = 0.5
HIT_AT_CONTACT = 0.5
HIT_FALLOFF_M = 15.0
_COST_RENEWAL_M = 20.0
Z_CERTAIN = 2.5
Z_NONE = 8.0
# NCTC bomb threat stand-off chart: TNT kg -> mandatory evacuation distance (m).
NCTC_MANDATORY_M = ((2.3, 21.0), (9.2, 34.0), (23.0, 46.0), (227.0, 98.0), (454.0, 122.0))


@dataclass(frozen=True, kw_only=True)
class AttackSettings:
    kind: str
    at: str | None
    xy: tuple[float, float] | None
    start_s: float
    police_arrive_s: float
    tnt_kg: float
    cordon_delay_s: float


def parse_attack(document: Mapping[str, Any]) -> AttackSettings | None:
    """The [attack] section, or None."""
    if "attack" not in document:
        return None
    where = "attack"
    table = checks.table(document, "attack", where, allowed=_KEYS)
    at, xy = checks.name_or_point(table, where, name_key="at")
    return AttackSettings(
        kind=checks.choice(table, "kind", where, KINDS, default="shooter"),
        at=at,
        xy=xy,
        start_s=checks.number(table, "start_s", where, 0, 86_400, default=0.0, unit="s"),
        police_arrive_s=checks.number(
            table, "police_arrive_s", where, 1, 7200, default=300.0, unit="s"
        ),
        tnt_kg=checks.number(table, "tnt_kg", where, 0.1, 10_000, default=9.2, unit="kg"),
        cordon_delay_s=checks.number(
            table, "cordon_delay_s", where, 0, 3600, default=120.0, unit="s"
        ),
    )


def mandatory_distance_m(tnt_kg: float) -> float:
    """NCTC mandatory evacuation distance, interpolated in the cube root of the charge."""
    kg = np.array([k for k, _ in NCTC_MANDATORY_M]) ** (1 / 3)
    metres = np.array([m for _, m in NCTC_MANDATORY_M])
    return float(np.interp(tnt_kg ** (1 / 3), kg, metres))


def hit_probability(distance_m: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Chance that one aimed shot at this distance hits (0 beyond the fire range)."""
    d = np.asarray(distance_m, dtype=float)
    return np.where(d <= FIRE_RANGE_M, HIT_AT_CONTACT * np.exp(-d / HIT_FALLOFF_M), 0.0)


def blast_casualty_probability(distance_m: npt.ArrayLike, tnt_kg: float) -> npt.NDArray[np.float64]:
    """Chance of being hurt or killed by a blast, from the scaled distance."""
    z = np.asarray(distance_m, dtype=float) / tnt_kg ** (1 / 3)
    return np.asarray(np.clip((Z_NONE - z) / (Z_NONE - Z_CERTAIN), 0.0, 1.0), dtype=float)


def threat_position(settings: AttackSettings, site: Site | None) -> tuple[float, float]:
    """Where the attack starts: the named place (or the middle of the named way), or `xy`."""
    if settings.at is None:
        assert settings.xy is not None
        return (float(settings.xy[0]), float(settings.xy[1]))
    if site is None:
        raise ScenarioError("attack.at names a place: the scenario needs a [site]")
    try:
        place = site.place(settings.at)
        return (float(place.x), float(place.y))
    except SiteError:
        centre = named_area(site, settings.at, key="attack.at").centroid
        return (float(centre.x), float(centre.y))


def cordon_radius_m(settings: AttackSettings) -> float:
    """The cordon closed after the attack: the NCTC mandatory distance for a device, 50 m
    round a shooter."""
    return mandatory_distance_m(settings.tnt_kg) if settings.kind == "explosion" else 50.0


class AttackHazard:
    """Runs an attack against a simulation (see the module docstring)."""

    def __init__(
        self, settings: AttackSettings, *, site: Site | None, people: int,
        inside: BaseGeometry | None = None, seed: int = 0,
    ) -> None:  # fmt: skip
        self.settings = settings
        self.origin = threat_position(settings, site)
        self.position = self.origin
        self._inside = inside  # the stadium outline (quieter perception inside: it is loud)
        self._rng = np.random.default_rng(seed + 7919)
        self.alarmed_at = np.full(people, np.nan)
        self.casualty = np.zeros(people, dtype=bool)
        self.track: list[tuple[float, float, float]] = []
        self._cordon_closed = False
        self._exploded = False
        self._shot_debt = 0.0
        self._time = 0.0
        self._cost_centre: tuple[float, float] | None = None

    @property
    def active(self) -> bool:
        s = self.settings
        return s.kind == "shooter" and s.start_s <= self._time < s.start_s + s.police_arrive_s

    def update(self, sim: Simulation) -> None:
        """Called every simulated second."""
        self._time = sim.time
        s = self.settings
        if sim.time < s.start_s or sim.agent_count == 0:
            return
        ids, positions = sim.ids, sim.positions
        if s.kind == "explosion" and not self._exploded:
            self._explode(sim, ids, positions)
            ids, positions = sim.ids, sim.positions
        if self.active:
            self._shooter_step(sim, ids, positions)
            ids, positions = sim.ids, sim.positions
        self._alarm(sim, ids, positions)
        if not self._cordon_closed and sim.time >= s.start_s + s.cordon_delay_s:
            self._cordon_closed = True
            radius = cordon_radius_m(s)
            # A cordon that would cover a whole destination is not closed (SimulationError).
            with contextlib.suppress(SimulationError):
                sim.close_area(Point(self.position).buffer(radius))
        self.track.append((sim.time, *self.position))

    def summary(self) -> dict[str, Any]:
        alarmed = np.isfinite(self.alarmed_at)
        delays = self.alarmed_at[alarmed] - self.settings.start_s
        return {
            "casualties": int(self.casualty.sum()),
            "alarmed": int(alarmed.sum()),
            "alarm_delay_median_s": round(float(np.median(delays)), 1) if delays.size else None,
            "attack": {
                "kind": self.settings.kind,
                "origin_xy_m": [round(v, 1) for v in self.origin],
                "cordon_radius_m": round(cordon_radius_m(self.settings), 1),
            },
        }

    def _alarm(self, sim: Simulation, ids: npt.NDArray[np.int64], positions: Any) -> None:
        s = self.settings
        distance = np.hypot(positions[:, 0] - self.position[0], positions[:, 1] - self.position[1])
        perception = np.full(ids.size, PERCEPTION_OUTSIDE_M)
        if self._inside is not None:
            inside = shapely.contains_xy(self._inside, positions[:, 0], positions[:, 1])
            perception[inside] = PERCEPTION_INSIDE_M
        elapsed = sim.time - s.start_s
        reached = (distance <= perception) | (distance <= ALARM_SPEED_M_S * elapsed)
        if s.kind == "explosion":
            reached |= distance <= 3 * PERCEPTION_OUTSIDE_M  # everyone nearby hears a blast
        newly = ids[reached & np.isnan(self.alarmed_at[ids])]
        if newly.size:
            self.alarmed_at[newly] = sim.time
            sim.set_start_time(newly, sim.time)
            sim.set_speed_factor(newly, FLIGHT_SPEED_FACTOR)
        # Routes avoid the threat: set when the alarm starts, renewed when it has moved 20 m.
        first = bool(newly.size) and self._cost_centre is None
        moved = (
            self._cost_centre is not None
            and math.dist(self._cost_centre, self.position) > _COST_RENEWAL_M
        )
        if first or moved:
            self._cost_centre = self.position
            sim.set_hazard_cost(self._avoid_cost(sim))

    def _avoid_cost(self, sim: Simulation) -> npt.NDArray[np.float32]:
        grid = sim.grid
        ys = grid.y_min + (np.arange(grid.shape[0]) + 0.5) * grid.resolution
        xs = grid.x_min + (np.arange(grid.shape[1]) + 0.5) * grid.resolution
        dy = (ys - self.position[1])[:, None]
        dx = (xs - self.position[0])[None, :]
        near = np.hypot(dx, dy)
        return np.asarray(1.0 + (AVOID_COST - 1.0) * np.exp(-near / AVOID_RANGE_M), np.float32)

    def _explode(self, sim: Simulation, ids: npt.NDArray[np.int64], positions: Any) -> None:
        self._exploded = True
        distance = np.hypot(positions[:, 0] - self.position[0], positions[:, 1] - self.position[1])
        hurt = self._rng.random(ids.size) < blast_casualty_probability(
            distance, self.settings.tnt_kg
        )
        self._fall(sim, ids[hurt])

    def _shooter_step(self, sim: Simulation, ids: npt.NDArray[np.int64], positions: Any) -> None:
        x, y = self.position
        distance = np.hypot(positions[:, 0] - x, positions[:, 1] - y)
        near = distance <= SHOOTER_SEARCH_M
        if near.any():
            density = local_densities(positions[near], radius_m=5.0)
            tx, ty = positions[near][int(np.argmax(density))]
            step = math.hypot(tx - x, ty - y)
            if step > 1e-9:
                move = min(SHOOTER_SPEED_M_S, step) / step
                nx_, ny_ = x + (tx - x) * move, y + (ty - y) * move
                row, column = sim.grid.cell_of(nx_, ny_)
                if sim.grid.walkable[int(row), int(column)]:
                    self.position = (float(nx_), float(ny_))
        self._shot_debt += SHOTS_PER_S
        while self._shot_debt >= 1.0:
            self._shot_debt -= 1.0
            in_range = np.flatnonzero(distance <= FIRE_RANGE_M)
            if in_range.size == 0:
                break
            target = in_range[np.argmin(distance[in_range])]
            if self._rng.random() < hit_probability(distance[target]):
                self._fall(sim, ids[[target]])
                distance[target] = np.inf

    def _fall(self, sim: Simulation, hit: npt.NDArray[np.int64]) -> None:
        if hit.size:
            self.casualty[hit] = True
            sim.remove_agents(hit)
