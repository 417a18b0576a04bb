"""Candidate evacuation plans: the scenario's own plan, plans written by hand in the scenario
file (`[[ranking.plans]]`), and plans generated from the walk network.

Generation: from every stadium gate, the k cheapest hazard-aware paths to every destination on
the walk network (an edge costs its length times the hazard's route cost there). A path's
*crossings* are the short named ways it uses outside the stadium (bridges, underpasses,
crossings: at most `CROSSING_M` long) that the destination cannot be reached as quickly
without; destination and crossings make a *corridor*. Each corridor becomes a whole-stadium
plan: sectors join it nearest first until its destination is full (assembly areas hold their
capacity; the transit stops are unlimited), the rest go where it is cheapest among the
destinations with room. People outside the stadium follow the scenario's own rules.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from city_data.places import AssemblyArea, PlaceKind
from city_data.site import Site
from evac.errors import ScenarioError, SiteError
from experiments.ranking.network import (
    Node,
    WalkNetwork,
    build_walk_network,
    nearest_target,
)
from experiments.ranking.screening import Leg, Movement
from scenarios.ammonia import PuffModel
from scenarios.ammonia_hazard import build_release, route_cost
from scenarios.attack import (
    AVOID_COST,
    AVOID_RANGE_M,
    FLIGHT_SPEED_FACTOR,
    cordon_radius_m,
    threat_position,
)
from scenarios.population import Origin
from scenarios.scenario_file import Scenario
from scenarios.site_run import (
    build_origins,
    load_site_venue,
    plan_names,
    rules_of_origins,
    stadium_outline,
)
from scenarios.site_scenario import NEAREST, PlanRule, SiteScenario
from scenarios.site_setup import CROSSING_M, SiteVenue, named_area, via_area

PATHS_PER_GATE = 3
CORRIDORS_PER_DESTINATION = 2
_CRITICAL_DETOUR = 1.2  # a crossing is critical when going without it costs 20 % more


@dataclass(frozen=True, kw_only=True)
class CandidatePlan:
    """A whole response plan: who walks where. `rules` replace the scenario's rules for the
    stadium; people outside keep the scenario's rules unless a rule names them."""

    name: str
    rules: tuple[PlanRule, ...]
    kind: str
    """"scenario" (the scenario's own plan), "hand-written" or "generated"."""
    description: str = ""


@dataclass(frozen=True)
class RankingContext:
    """What every plan of one scenario is screened against: the site, the clipped venue, the
    origins, the walk network without closed ways, and the hazard's route cost on it."""

    scenario: Scenario
    setup: SiteScenario
    site: Site
    venue: SiteVenue
    origins: tuple[Origin, ...]
    network: WalkNetwork
    edge_cost: dict[int, float]
    plume: PuffModel | None
    speed_factor: float
    earliest_start_s: float
    """The earliest a hazard can make anyone start (inf: no hazard hurries anyone)."""


def ranking_context(scenario: Scenario) -> RankingContext:
    """Load the scenario's site and hazard into a context for screening and plan generation."""
    setup = scenario.site
    if setup is None:
        raise ScenarioError("ranking needs a scenario on a site ([site], [population], [[plan]])")
    site, venue = load_site_venue(setup)
    origins = build_origins(site, venue, setup)
    stadium = stadium_outline(site) if any(o.in_stadium for o in origins) else None
    closed = [
        c.area if c.area is not None else named_area(site, c.what, key=f"closures[{i}].what")
        for i, c in enumerate(setup.closures)
        if c.at_s <= 0 and c.until_s is None
    ]
    plume = None
    speed_factor = 1.0
    earliest = math.inf
    if scenario.ammonia is not None:
        release, _ = build_release(scenario.ammonia, site)
        plume = PuffModel(release, scenario.ammonia.weather)
        earliest = release.start_s
    if scenario.attack is not None:
        attack = scenario.attack
        speed_factor = FLIGHT_SPEED_FACTOR
        earliest = attack.start_s
        # The cordon closes two minutes in: plans are made for after that.
        closed.append(Point(threat_position(attack, site)).buffer(cordon_radius_m(attack)))
    network = build_walk_network(site, venue, origins, closed=closed, stadium=stadium)
    edge_cost = _hazard_edge_cost(network, scenario, site, plume)
    return RankingContext(
        scenario=scenario,
        setup=setup,
        site=site,
        venue=venue,
        origins=origins,
        network=network,
        edge_cost=edge_cost,
        plume=plume,
        speed_factor=speed_factor,
        earliest_start_s=earliest,
    )


def _hazard_edge_cost(
    network: WalkNetwork, scenario: Scenario, site: Site, plume: PuffModel | None
) -> dict[int, float]:
    """The route cost the engine would put on each edge's middle: the worst over the hazard."""
    edges = list(network.graph.edges(data=True))
    middles = np.array(
        [d["geometry"].interpolate(0.5, normalized=True).coords[0] for *_, d in edges]
    )
    cost = np.ones(len(edges))
    if plume is not None and len(edges):
        release = plume.release
        end = release.start_s + release.duration_s + 1800.0
        for t in np.arange(release.start_s, end, 60.0):
            ppm = plume.ppm(middles[:, 0], middles[:, 1], float(t))
            cost = np.maximum(cost, route_cost(ppm))
    if scenario.attack is not None and len(edges):
        x, y = threat_position(scenario.attack, site)
        distance = np.hypot(middles[:, 0] - x, middles[:, 1] - y)
        cost = np.maximum(
            cost, 1.0 + (AVOID_COST - 1.0) * np.clip(1 - distance / AVOID_RANGE_M, 0, 1)
        )
    return {int(d["key"]): float(c) for (*_, d), c in zip(edges, cost, strict=True)}


def apply_plan(scenario: Scenario, plan: CandidatePlan, origins: Sequence[Origin]) -> Scenario:
    """The scenario with the plan's rules for the stadium (and whoever else they name)."""
    assert scenario.site is not None
    outside = _outside_names(origins)
    named = {rule.origin for rule in plan.rules}
    kept = tuple(r for r in scenario.site.plan if r.origin in outside and r.origin not in named)
    site = dataclasses.replace(scenario.site, plan=(*kept, *plan.rules))
    return dataclasses.replace(scenario, site=site)


def scenario_plans(context: RankingContext) -> list[CandidatePlan]:
    """The scenario's own plan and the hand-written ones of its [ranking] section."""
    scenario = context.scenario
    assert scenario.site is not None
    own_rules = tuple(
        r for r in scenario.site.plan if r.origin not in _outside_names(context.origins)
    )
    plans = [
        CandidatePlan(
            name="As planned (scenario)",
            rules=own_rules,
            kind="scenario",
            description="the response plan written in the scenario file",
        )
    ]
    if scenario.ranking is not None:
        for hand in scenario.ranking.plans:
            plans.append(
                CandidatePlan(
                    name=hand.name,
                    rules=hand.rules,
                    kind="hand-written",
                    description=hand.description,
                )
            )
    return plans


def _outside_names(origins: Sequence[Origin]) -> set[str]:
    return {o.name for o in origins if not o.in_stadium} | {"outside"}


def generate_plans(context: RankingContext) -> list[CandidatePlan]:
    """Whole-stadium plans, one per corridor (see the module docstring)."""
    network = context.network
    gates = list(context.site.places_of(PlaceKind.GATE))
    gate_nodes = {
        g.name: [n for n in network.passage_nodes(g.name) if n not in network.stadium_nodes]
        for g in gates
    }
    corridors: dict[tuple[str, tuple[str, ...]], float] = {}
    for destination, targets in network.destination_nodes.items():
        for nodes in gate_nodes.values():
            for path in _cheapest_paths(context, nodes, targets, PATHS_PER_GATE):
                crossings = _crossings(context, path, destination)
                cost = _path_cost(context, path)
                key = (destination, crossings)
                corridors[key] = min(corridors.get(key, math.inf), cost)
    chosen: list[tuple[str, tuple[str, ...]]] = []
    for destination in network.destination_nodes:
        mine = sorted((c, k) for k, c in corridors.items() if k[0] == destination)
        chosen.extend(k for _, k in mine[:CORRIDORS_PER_DESTINATION])
    plans: list[CandidatePlan] = []
    seen: set[tuple[PlanRule, ...]] = set()
    for destination, crossings in chosen:
        rules = _whole_stadium_rules(context, destination, crossings, corridors)
        if not rules or rules in seen:
            continue
        seen.add(rules)
        name = (
            f"Via {' and '.join(crossings)} to {destination}" if crossings else f"To {destination}"
        )
        plans.append(
            CandidatePlan(
                name=name,
                rules=rules,
                kind="generated",
                description=f"stadium sectors to {destination}"
                + (f" over {', '.join(crossings)}" if crossings else "")
                + " while it has room, the others to the cheapest destination with room",
            )
        )
    return plans


def _edge_weight(context: RankingContext) -> Callable[[Node, Node, dict[str, Any]], float]:
    """An edge costs its length times the hazard's route cost on it."""
    cost = context.edge_cost

    def weight(u: Node, v: Node, data: dict[str, Any]) -> float:
        return float(data["length"]) * cost.get(int(data["key"]), 1.0)

    return weight


def _path_cost(context: RankingContext, path: Sequence[Node]) -> float:
    weight = _edge_weight(context)
    graph = context.network.graph
    return float(sum(weight(u, v, graph.edges[u, v]) for u, v in itertools.pairwise(path)))


def _cheapest_paths(
    context: RankingContext, sources: Sequence[Node], targets: frozenset[Node], k: int
) -> list[list[Node]]:
    graph = context.network.graph
    if not sources or not targets:
        return []
    work: nx.Graph[Any] = nx.Graph(graph)
    weight = _edge_weight(context)
    for u, v, data in work.edges(data=True):
        data["cost"] = weight(u, v, data)
    work.add_edges_from(("source", s, {"cost": 0.0}) for s in sources)
    work.add_edges_from((t, "sink", {"cost": 0.0}) for t in targets)
    try:
        paths = nx.shortest_simple_paths(work, "source", "sink", weight="cost")
        return [p[1:-1] for p in itertools.islice(paths, k)]
    except nx.NetworkXNoPath:
        return []


def _crossings(context: RankingContext, path: Sequence[Node], destination: str) -> tuple[str, ...]:
    """The path's key crossing: of its short named ways outside the stadium, the one whose loss
    would lengthen the way to the destination most (bridges first on a tie); none if no loss
    costs 20 % or more."""
    network = context.network
    best: tuple[float, bool, str] | None = None
    for name in network.path_names(path):
        edges = network.passage_edges(name)
        if not edges or any(n in network.stadium_nodes for e in edges for n in e):
            continue
        if sum(network.graph.edges[e]["length"] for e in edges) > CROSSING_M:
            continue
        if _is_place(context.site, name):
            continue  # gates and named places are not crossings
        detour = _detour(context, name, path[0], destination)
        bridge = any(network.graph.edges[e]["bridge"] for e in edges)
        if detour >= _CRITICAL_DETOUR and (best is None or (detour, bridge) > best[:2]):
            best = (detour, bridge, name)
    return () if best is None else (best[2],)


def _is_place(site: Site, name: str) -> bool:
    try:
        site.place(name)
    except SiteError:
        return False
    return True


def _detour(context: RankingContext, name: str, source: Node, destination: str) -> float:
    """How many times longer the cheapest way to the destination gets without the named way."""
    network = context.network
    targets = network.destination_nodes[destination]
    weight = _edge_weight(context)
    with_it, _ = nearest_target(network, [source], targets, weight=weight)
    banned = {frozenset(e) for e in network.passage_edges(name)}

    def without(u: Node, v: Node, data: dict[str, Any]) -> float | None:
        return None if frozenset((u, v)) in banned else weight(u, v, data)

    without_it, _ = nearest_target(network, [source], targets, weight=without)
    return without_it / max(with_it, 1e-9)


def _whole_stadium_rules(
    context: RankingContext,
    destination: str,
    crossings: tuple[str, ...],
    corridors: dict[tuple[str, tuple[str, ...]], float],
) -> tuple[PlanRule, ...]:
    """Sectors to the corridor nearest first while the destination has room; the others to the
    cheapest corridor with room."""
    sectors = [o for o in context.origins if o.in_stadium]
    room = {d: _capacity(context, d) for d in context.network.destination_nodes}
    costs = {
        (o.name, key): _route_cost(context, o, key[0], key[1]) for o in sectors for key in corridors
    }
    rules = []
    first = sorted(sectors, key=lambda o: costs[(o.name, (destination, crossings))])
    for origin in first:
        options = sorted(
            (costs[(origin.name, key)], key) for key in corridors if room[key[0]] >= origin.count
        )
        preferred = (destination, crossings)
        if room[destination] >= origin.count and math.isfinite(costs[(origin.name, preferred)]):
            choice = preferred
        elif options and math.isfinite(options[0][0]):
            choice = options[0][1]
        else:
            continue  # nowhere with room: the engine sends them to the nearest destination
        room[choice[0]] -= origin.count
        rules.append(PlanRule(origin=origin.name, destination=choice[0], via=choice[1]))
    return tuple(rules)


def _capacity(context: RankingContext, destination: str) -> float:
    try:
        place = context.site.place(destination)
    except Exception:
        return math.inf
    capacity = place.capacity if isinstance(place, AssemblyArea) else None
    return float(capacity) if capacity else math.inf


def _route_cost(
    context: RankingContext, origin: Origin, destination: str, crossings: tuple[str, ...]
) -> float:
    network = context.network
    weight = _edge_weight(context)
    sources: Sequence[Node] = network.origin_nodes[origin.name]
    total = 0.0
    for target in [
        *(network.passage_nodes(c) for c in crossings),
        network.destination_nodes[destination],
    ]:
        cost, path = nearest_target(network, sources, frozenset(target), weight=weight)
        if not path:
            return math.inf
        total += cost
        sources = [path[-1]]
    return total


def movements(context: RankingContext, plan: CandidatePlan) -> list[Movement]:
    """Where the plan sends each origin's people, for the screening."""
    scenario = apply_plan(context.scenario, plan, context.origins)
    assert scenario.site is not None
    network = context.network
    rules = rules_of_origins(
        context.origins, scenario.site.plan, names=plan_names(context.site, context.setup)
    )
    all_destinations = tuple(_destination_leg(context, d.name) for d in context.venue.destinations)
    out = []
    for origin, rule in zip(context.origins, rules, strict=True):
        pre = (
            context.setup.stadium_pre_movement
            if origin.in_stadium
            else context.setup.outside_pre_movement
        )
        legs = []
        point = origin.area.representative_point()
        here = (point.x, point.y)
        for name in rule.via if rule is not None else ():
            area, tag = via_area(context.site, name, coming_from=here, key="plan.via")
            nodes = _nodes_in(network, name, area)
            # Only a bridge or tunnel (a layered way) is sure to be passed over its width: it is
            # entered at its ends.
            bridge = any(network.graph.edges[e]["bridge"] for e in network.passage_edges(name))
            width = network.passage_width(name) if tag != "whole" and bridge else None
            legs.append(Leg(name=name, nodes=nodes, area=area, width_m=width))
            centre = area.centroid
            here = (centre.x, centre.y)
        destinations = (
            all_destinations
            if rule is None or rule.destination == NEAREST
            else (_destination_leg(context, rule.destination),)
        )
        out.append(
            Movement(
                origin=origin.name,
                people=origin.count,
                nodes=network.origin_nodes[origin.name],
                area=origin.area,
                pre_movement=pre,
                legs=tuple(legs),
                destinations=destinations,
                earliest_start_s=context.earliest_start_s,
            )
        )
    return out


def _nodes_in(network: WalkNetwork, name: str, area: BaseGeometry) -> frozenset[Node]:
    nodes = network.passage_nodes(name)
    if not nodes:
        near = [n for n, xy in network.xy.items() if area.distance(Point(xy)) < 5.0]
        if not near:
            raise ScenarioError(f"plan.via: '{name}' is not on the walk network inside the bounds")
        return frozenset(near)
    inside = frozenset(n for n in nodes if area.distance(Point(network.xy[n])) < 1.0)
    return inside or nodes


def _destination_leg(context: RankingContext, name: str) -> Leg:
    index = context.venue.destination_index(name, key="plan.to")
    return Leg(
        name=name,
        nodes=context.network.destination_nodes[name],
        area=context.venue.destinations[index].area,
    )


def passages_used(
    context: RankingContext, plan: CandidatePlan, routes: dict[str, list[Node]]
) -> list[str]:
    """The named ways (gates, streets, bridges) the plan's routes use, most people first, then
    its destinations."""
    people = {o.name: o.count for o in context.origins}
    used: dict[str, int] = {}
    for origin, path in routes.items():
        for name in context.network.path_names(path):
            used[name] = used.get(name, 0) + people.get(origin, 0)
    ways = [n for n, _ in sorted(used.items(), key=lambda kv: -kv[1])]
    destinations = list(
        dict.fromkeys(r.destination for r in plan.rules if r.destination != NEAREST)
    )
    return [*ways, *(d for d in destinations if d not in ways)]
