"""The sections of a scenario on a real site: [site], [population], [[plan]] and [[closures]].

[site]                      # the bundled "plzen", or a path to an OSM extract + places file
name = "plzen"
bounds = [-650, -680, 300, 460]   # the part of the map simulated (local metres)
resolution = 0.5
destinations = ["náměstí Republiky", "transit stops"]  # default: every assembly area + stops

[population]
stadium = 11700             # people in the stands, spread over the sectors by capacity
stadium_pre_movement = {median_s = 60, sigma = 0.6, max_s = 600}
group_share = 0.3           # share of people walking in groups of 2-4
[[population.zones]]        # people outside, by zone (WKT or GeoJSON in local metres)
name = "Štruncovy sady"
area = "POLYGON ((...))"
count = 1500

[[plan]]                    # the response plan: who walks where (most specific rule wins)
from = "West (main) stand"  # a sector, stand, zone, "stadium", "outside" or "everyone"
via = ["Gate 1 (west, main stand south)"]  # optional: gates or places on the way, in order
to = "náměstí Republiky"    # a destination, or "nearest"

[[closures]]                # a gate, street, bridge or place by name, or an area (WKT)
what = "Pivovarská lávka"
at_s = 0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shapely.geometry.base import BaseGeometry

from evac.errors import ScenarioError
from scenarios import checks
from scenarios.population import Demography, PreMovement
from scenarios.situation import Situation

NEAREST = "nearest"
PLAN_SCOPES = ("everyone", "stadium", "outside")
_SITE_KEYS = {"name", "places", "bounds", "resolution", "destinations"}
_POPULATION_KEYS = {"stadium", "stadium_pre_movement", "outside_pre_movement", "demography",
                    "group_share", "zones"}  # fmt: skip
_PRE_MOVEMENT_KEYS = {"median_s", "sigma", "max_s"}
_DEMOGRAPHY_KEYS = {"adults", "elderly", "children"}
_ZONE_KEYS = {"name", "area", "count"}
_PLAN_KEYS = {"from", "via", "to"}
_CLOSURE_KEYS = {"what", "area", "at_s", "until_s"}


@dataclass(frozen=True, kw_only=True)
class Zone:
    """People outside the stadium: `count` of them spread over `area` (local metres)."""

    name: str
    area: BaseGeometry
    count: int


@dataclass(frozen=True, kw_only=True)
class PlanRule:
    """Send the people of `origin` (a sector, stand, zone or scope) through the gates or areas
    named in `via`, in order, to `destination`."""

    origin: str
    destination: str
    via: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Closure:
    """Close a named gate, street, bridge or place, or an area, from at_s until until_s."""

    what: str
    area: BaseGeometry | None
    at_s: float
    until_s: float | None


@dataclass(frozen=True, kw_only=True)
class SiteScenario:
    """Everything a scenario says about a real site, validated (names are checked at run time,
    against the site)."""

    site: str
    places: str | None
    bounds: tuple[float, float, float, float]
    resolution: float
    destinations: tuple[str, ...] | None
    stadium_people: int
    zones: tuple[Zone, ...]
    stadium_pre_movement: PreMovement
    outside_pre_movement: PreMovement
    demography: Demography
    group_share: float
    plan: tuple[PlanRule, ...]
    closures: tuple[Closure, ...]
    situation: Situation | None = None
    """Counts on the ground in place of the planned crowd (`scenarios.situation`; set from the
    command line, not in the scenario file)."""


def parse_site_scenario(document: Mapping[str, Any]) -> SiteScenario:
    """Validate the site sections of a scenario document."""
    site = checks.table(document, "site", "site", allowed=_SITE_KEYS)
    bounds = site.get("bounds")
    if not (
        isinstance(bounds, list)
        and len(bounds) == 4
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in bounds)
        and bounds[2] > bounds[0]
        and bounds[3] > bounds[1]
    ):
        raise ScenarioError(
            f"site.bounds must be [x_min, y_min, x_max, y_max] in local metres, got {bounds!r}"
        )
    destinations = site.get("destinations")
    if destinations is not None and not (
        isinstance(destinations, list)
        and destinations
        and all(isinstance(d, str) and d for d in destinations)
    ):
        raise ScenarioError(
            f"site.destinations must be a list of destination names, got {destinations!r}"
        )
    places = site.get("places")
    if places is not None and not isinstance(places, str):
        raise ScenarioError(f"site.places must be the path of a places file, got {places!r}")
    population = checks.table(document, "population", "population", allowed=_POPULATION_KEYS)
    zones = []
    for index, entry in enumerate(
        checks.tables(population, "zones", "population.zones", allowed=_ZONE_KEYS)
    ):
        where = f"population.zones[{index}]"
        zones.append(
            Zone(
                name=checks.text(entry, "name", where),
                area=checks.geometry(entry.get("area"), f"{where}.area", polygonal=True),
                count=int(checks.number(entry, "count", where, 1, 100_000, integer=True)),
            )
        )
    plan = parse_plan_rules(checks.tables(document, "plan", "plan", allowed=_PLAN_KEYS), "plan")
    closures = []
    for index, entry in enumerate(
        checks.tables(document, "closures", "closures", allowed=_CLOSURE_KEYS)
    ):
        where = f"closures[{index}]"
        what = entry.get("what")
        area = None
        if "area" in entry:
            area = checks.geometry(entry["area"], f"{where}.area", polygonal=True)
            what = what or f"area {index}"
        if not isinstance(what, str) or not what:
            raise ScenarioError(f"{where} needs 'what' (a name on the map) or 'area' (WKT)")
        at_s = checks.number(entry, "at_s", where, 0, 86_400, default=0.0, unit="s")
        until = entry.get("until_s")
        if until is not None:
            until = checks.number(entry, "until_s", where, at_s + 1e-9, 86_400, unit="s")
        closures.append(Closure(what=what, area=area, at_s=at_s, until_s=until))
    return SiteScenario(
        site=checks.text(site, "name", "site"),
        places=places,
        bounds=(float(bounds[0]), float(bounds[1]), float(bounds[2]), float(bounds[3])),
        resolution=checks.number(site, "resolution", "site", 0.1, 2.0, default=0.5, unit="m"),
        destinations=None if destinations is None else tuple(destinations),
        stadium_people=int(
            checks.number(population, "stadium", "population", 0, 200_000, default=0, integer=True)
        ),
        zones=tuple(zones),
        stadium_pre_movement=_pre_movement(
            population, "stadium_pre_movement", PreMovement(median_s=60, sigma=0.6, max_s=600)
        ),
        outside_pre_movement=_pre_movement(
            population, "outside_pre_movement", PreMovement(median_s=90, sigma=0.8, max_s=900)
        ),
        demography=_demography(population),
        group_share=checks.number(population, "group_share", "population", 0, 1, default=0.3),
        plan=tuple(plan),
        closures=tuple(closures),
    )


def parse_plan_rules(entries: list[dict[str, Any]], where: str) -> tuple[PlanRule, ...]:
    """Validate [[plan]]-style rules (`from`, optional `via`, `to`); `where` names the list."""
    rules = []
    for index, entry in enumerate(entries):
        checks.check_keys(entry, f"{where}[{index}]", allowed=_PLAN_KEYS)
        via = entry.get("via", [])
        if not (isinstance(via, list) and len(via) <= 4 and all(isinstance(v, str) for v in via)):
            raise ScenarioError(
                f"{where}[{index}].via must be a list of at most 4 gate or place names, got {via!r}"
            )
        rules.append(
            PlanRule(
                origin=checks.text(entry, "from", f"{where}[{index}]"),
                destination=checks.text(entry, "to", f"{where}[{index}]"),
                via=tuple(via),
            )
        )
    return tuple(rules)


def _pre_movement(population: Mapping[str, Any], key: str, default: PreMovement) -> PreMovement:
    where = f"population.{key}"
    entry = checks.table(population, key, where, allowed=_PRE_MOVEMENT_KEYS)
    median = checks.number(entry, "median_s", where, 0.1, 3600, default=default.median_s, unit="s")
    return PreMovement(
        median_s=median,
        sigma=checks.number(entry, "sigma", where, 0.0, 3.0, default=default.sigma),
        max_s=checks.number(
            entry, "max_s", where, median, 7200, default=max(default.max_s, median), unit="s"
        ),
    )


def _demography(population: Mapping[str, Any]) -> Demography:
    where = "population.demography"
    entry = checks.table(population, "demography", where, allowed=_DEMOGRAPHY_KEYS)
    default = Demography()
    shares = {
        key: checks.number(entry, key, where, 0, 1, default=getattr(default, key))
        for key in sorted(_DEMOGRAPHY_KEYS)
    }
    if abs(sum(shares.values()) - 1.0) > 1e-6:
        raise ScenarioError(
            f"{where}: the shares must add up to 1, got {sum(shares.values()):g} ({shares})"
        )
    return Demography(**shares)
