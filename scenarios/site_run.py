"""A scenario on a real site made ready to run: the engine on the simulated part of the map, the
population placed by sector and zone and sent where the response plan says, and the timed events
(closures now; hazards add their own)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from city_data.load import load_site
from city_data.places import PlaceKind, Sector
from city_data.site import Site
from evac.errors import EvacError, ScenarioError
from scenarios.population import Origin, Population, place_population
from scenarios.site_scenario import NEAREST, PLAN_SCOPES, Closure, PlanRule, SiteScenario
from scenarios.site_setup import (
    TRANSIT_STOPS,
    SiteVenue,
    build_site_venue,
    named_area,
    via_area,
)
from scenarios.situation import sector_counts, share_out, zone_count
from simulator import FloorFieldStore, Simulation, TrajectoryWriter


@dataclass
class ClosureSchedule:
    """Closes and reopens named areas at their times (checked once per simulated second)."""

    closures: list[tuple[Closure, BaseGeometry]]
    _handles: dict[int, int] = field(default_factory=dict)

    def update(self, sim: Simulation) -> None:
        for index, (closure, area) in enumerate(self.closures):
            if (
                index not in self._handles
                and closure.at_s <= sim.time
                and (closure.until_s is None or sim.time < closure.until_s)
            ):
                self._handles[index] = sim.close_area(area)
            elif (
                index in self._handles
                and closure.until_s is not None
                and sim.time >= closure.until_s
            ):
                sim.open_area(self._handles.pop(index))


@dataclass(frozen=True)
class SiteRun:
    """The engine with everyone in place, and what the runner needs to report by place."""

    simulation: Simulation
    venue: SiteVenue
    population: Population
    """Everyone, in id order (so `population.origin[id]` is where agent `id` started)."""
    closures: ClosureSchedule
    stadium: BaseGeometry | None
    """The stadium's outline when people start in it (attacks are heard less inside)."""


def prepare_site_run(
    setup: SiteScenario, *, dt: float, seed: int, model: str,
    trajectory_writer: TrajectoryWriter | None,
    extra_lines: dict[str, LineString] | None = None,
    field_store: FloorFieldStore | None = None,
) -> SiteRun:  # fmt: skip
    """Load the site, clip it, place the population and set up the plan and the closures."""
    site, venue = load_site_venue(setup)
    lines = dict(venue.measurement_lines)
    lines.update(extra_lines or {})
    origins = build_origins(site, venue, setup)
    targets, routes, waypoints = plan_routes(
        origins, setup.plan, site, venue, names=plan_names(site, setup)
    )
    sim = Simulation(
        walkable_area=venue.walkable_area,
        exits=[d.area for d in venue.destinations],
        model=model,
        dt=dt,
        seed=seed,
        resolution=setup.resolution,
        trajectory_writer=trajectory_writer,
        measurement_lines=lines,
        exit_choice="nearest",
        waypoints=[area.intersection(venue.walkable_area) for area in waypoints],
        field_store=field_store,
    )
    stadium = None
    if any(origin.in_stadium for origin in origins):
        # Egress: people inside walk out by their nearest gate, and nobody walks back in.
        stadium = stadium_outline(site)
        sim.close_area(stadium)
    rng = np.random.default_rng(seed)

    def reachable(points: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
        # Somewhere a destination can be reached from, and not in one already.
        distance = sim.route_length(points)
        return np.isfinite(distance) & (distance > 1.0)

    population = place_population(
        origins, rng, radius=sim.parameters.radius_m,
        stadium_pre_movement=setup.stadium_pre_movement,
        outside_pre_movement=setup.outside_pre_movement, demography=setup.demography,
        group_share=setup.group_share, keep=reachable,
    )  # fmt: skip
    # Agents are added plan rule by plan rule (one destination and route each); ids follow.
    plan_of_origin = [(int(t), r) for t, r in zip(targets, routes, strict=True)]
    order_parts = []
    for destination, route in dict.fromkeys(plan_of_origin):
        members = [i for i, plan in enumerate(plan_of_origin) if plan == (destination, route)]
        rows = np.flatnonzero(np.isin(population.origin, members))
        sim.add_agents(
            positions=population.positions[rows],
            exit=None if destination < 0 else destination,
            desired_speed=population.desired_speed[rows],
            start_time=population.start_time[rows],
            route=route,
        )
        order_parts.append(rows)
    order = np.concatenate(order_parts)
    population = Population(
        positions=population.positions[order],
        start_time=population.start_time[order],
        desired_speed=population.desired_speed[order],
        origin=population.origin[order],
        origins=population.origins,
    )
    closures = [
        (c, c.area if c.area is not None else named_area(site, c.what, key=f"closures[{i}].what"))
        for i, c in enumerate(setup.closures)
    ]
    return SiteRun(
        simulation=sim,
        venue=venue,
        population=population,
        closures=ClosureSchedule(closures),
        stadium=stadium,
    )


def load_site_venue(setup: SiteScenario) -> tuple[Site, SiteVenue]:
    """The scenario's site, and its simulated part with the destinations the scenario names."""
    try:
        site = load_site(setup.site, places=setup.places)
    except EvacError as exc:
        raise ScenarioError(f"site.name: {exc}") from None
    names = setup.destinations or default_destinations(site, setup.bounds)
    return site, build_site_venue(site, bounds=setup.bounds, destinations=names)


def default_destinations(site: Site, bounds: tuple[float, float, float, float]) -> list[str]:
    """Every assembly area inside the bounds, and the transit stops."""
    x0, y0, x1, y1 = bounds
    names = [
        a.name
        for a in site.places_of("assembly_area")
        if a.footprint is not None and x0 <= a.x <= x1 and y0 <= a.y <= y1
    ]
    return [*names, TRANSIT_STOPS]


def site_sectors(site: Site) -> list[Sector]:
    """The stadium's blocks of seats on the site (none on a site without places)."""
    return [s for s in site.places_of(PlaceKind.SECTOR) if isinstance(s, Sector)]


def build_origins(site: Site, venue: SiteVenue, setup: SiteScenario) -> tuple[Origin, ...]:
    """The sectors (the stadium's people shared out by capacity) and the outside zones; under a
    situation (`scenarios.situation`), its counts where it gives them."""
    sectors = site_sectors(site)
    situation = setup.situation
    if setup.stadium_people and not sectors:
        raise ScenarioError("population.stadium: this site has no sectors in its places")
    capacity = np.array([s.capacity for s in sectors], dtype=float)
    if setup.stadium_people > capacity.sum():
        raise ScenarioError(
            f"population.stadium must be at most the seats, {int(capacity.sum())}, "
            f"got {setup.stadium_people}"
        )
    counts = np.zeros(len(sectors), dtype=np.int64)
    if setup.stadium_people:
        counts = share_out(setup.stadium_people, capacity)
    if situation is not None:
        counts = sector_counts(
            situation, sectors=[s.name for s in sectors], stands=[s.stand for s in sectors],
            capacity=capacity, planned=counts, zones=[z.name for z in setup.zones],
        )  # fmt: skip
    origins = []
    for sector, count in zip(sectors, counts, strict=True):
        if count == 0:
            continue
        if sector.footprint is None:
            raise ScenarioError(f"population.stadium: sector '{sector.name}' has no outline")
        area = sector.footprint.intersection(venue.walkable_area)
        origins.append(
            Origin(
                name=sector.name, area=area, count=int(count), in_stadium=True,
                groups=(sector.name, sector.stand, "stadium", "everyone"),
            )
        )  # fmt: skip
    for index, zone in enumerate(setup.zones):
        people = zone_count(situation, zone.name, zone.count)
        if people == 0:
            continue
        area = zone.area.intersection(venue.walkable_area)
        if area.is_empty:
            raise ScenarioError(
                f"population.zones[{index}].area ('{zone.name}') has no walkable ground inside "
                "site.bounds"
            )
        origins.append(
            Origin(
                name=zone.name,
                area=area,
                count=people,
                in_stadium=False,
                groups=(zone.name, "outside", "everyone"),
            )
        )
    if not origins:
        raise ScenarioError("population: nobody to simulate (set stadium or add zones)")
    return tuple(origins)


def stadium_outline(site: Site) -> BaseGeometry:
    """The smallest stadium area (leisure=stadium) holding every sector: what is inside."""
    seats = [s.footprint.representative_point() for s in site.places_of(PlaceKind.SECTOR)
             if s.footprint is not None]  # fmt: skip
    areas = site.context_areas
    leisure = areas["leisure"] if "leisure" in areas else [None] * len(areas)
    candidates = [
        geometry
        for geometry, kind in zip(areas.geometry, leisure, strict=True)
        if kind == "stadium" and all(geometry.contains(point) for point in seats)
    ]
    if not candidates:
        raise ScenarioError(
            "population.stadium: the site has no stadium outline (leisure=stadium) around its "
            "sectors"
        )
    outline: BaseGeometry = min(candidates, key=lambda g: g.area)
    return outline


def plan_names(site: Site, setup: SiteScenario) -> set[str]:
    """Every name a response plan may use for where people start: the site's sectors and stands
    and the scenario's zones, whether or not anyone starts there now (a situation may empty a
    stand), and the scopes."""
    sectors = site_sectors(site)
    return (
        {s.name for s in sectors}
        | {s.stand for s in sectors if s.stand}
        | {zone.name for zone in setup.zones}
        | set(PLAN_SCOPES)
    )


def rules_of_origins(
    origins: Sequence[Origin], rules: Sequence[PlanRule], *, names: Collection[str] = ()
) -> list[PlanRule | None]:
    """The plan rule each origin follows: the most specific one naming it (its sector, then its
    stand, "stadium" or "outside", then "everyone"); None: walk to the nearest destination.
    A rule may name any of `names` (see `plan_names`) or of the origins' groups."""
    known = {name for origin in origins for name in origin.groups} | set(PLAN_SCOPES) | set(names)
    by_origin: dict[str, PlanRule] = {}
    for index, rule in enumerate(rules):
        if rule.origin not in known:
            raise ScenarioError(
                f"plan[{index}].from: no sector, stand or zone named '{rule.origin}' "
                f"(or use one of: {', '.join(PLAN_SCOPES)})"
            )
        by_origin[rule.origin] = rule
    return [
        next((by_origin[name] for name in origin.groups if name in by_origin), None)
        for origin in origins
    ]


def plan_routes(
    origins: Sequence[Origin], rules: Sequence[PlanRule], site: Site, venue: SiteVenue, *,
    names: Collection[str] = (),
) -> tuple[npt.NDArray[np.int64], list[tuple[int, ...]], list[BaseGeometry]]:  # fmt: skip
    """Per origin: the destination index (-1: the nearest) and the route (waypoint indices), and
    the waypoint areas those indices point to (see `via_area`: crossings on their far side).
    `names`: as for `rules_of_origins`."""
    targets = np.full(len(origins), -1, dtype=np.int64)
    routes: list[tuple[int, ...]] = [()] * len(origins)
    areas: list[BaseGeometry] = []
    index_of: dict[tuple[str, str], int] = {}
    followed = rules_of_origins(origins, rules, names=names)
    for k, (origin, rule) in enumerate(zip(origins, followed, strict=True)):
        if rule is None:
            continue
        number = list(rules).index(rule)
        if rule.destination != NEAREST:
            targets[k] = venue.destination_index(rule.destination, key=f"plan[{number}].to")
        point = origin.area.representative_point()
        here = (point.x, point.y)
        route = []
        for name in rule.via:
            area, tag = via_area(site, name, coming_from=here, key=f"plan[{number}].via")
            if (name, tag) not in index_of:
                index_of[(name, tag)] = len(areas)
                areas.append(area)
            route.append(index_of[(name, tag)])
            centre = area.centroid
            here = (centre.x, centre.y)
        routes[k] = tuple(route)
    return targets, routes, areas
