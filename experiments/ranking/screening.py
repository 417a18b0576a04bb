"""Fast screening of evacuation plans on the walk network, in seconds instead of minutes.

Two numbers per plan:

- an **estimate** of the clearance (T95) and of the people above AEGL-2, from a capacity-
  constrained route planner in the style of CCRP (Lu, George & Shekhar 2005): people leave in
  packets at the quantiles of their pre-movement time; each packet, in order of departure, takes
  the earliest-arrival path of its plan's legs given the capacity the earlier packets reserved
  (1.3 persons/(m·s) times the way's width), waiting where a way is full; its exposure is the
  plume along that path. People who smell the gas and leave early are not modelled here.
- a **lower bound** on the T95 the crowd engine can reach, which holds for every seed: the
  95 % point of (earliest possible start + straight-line length of the plan's legs / fastest
  walking speed), taken a few binomial standard deviations early, and for every bridge or
  tunnel a plan sends more than 5 % of everyone through, the time to push them through it at
  2.5 persons/(m·s), above any specific flow measured in bottleneck experiments (about 2).
  (Other crossings can be walked round, so they get no capacity bound.)
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr, ndtri
from shapely.geometry.base import BaseGeometry

from experiments.ranking.network import Node, WalkNetwork
from scenarios.ammonia import Exposure, PuffModel
from scenarios.population import PreMovement

FloatArray = npt.NDArray[np.float64]
SPECIFIC_FLOW = 1.3  # persons/(m·s): the planning value for the estimate
MAX_SPECIFIC_FLOW = 2.5  # persons/(m·s): above anything measured; for the lower bound
MAX_SPEED_M_S = 2.0  # the fastest desired speed the population model draws
PACKET_PEOPLE = 25
EXPOSURE_SAMPLE_S = 10.0


@dataclass(frozen=True, kw_only=True)
class Leg:
    """Part of a route: walk to any of `nodes` (in the network) or into `area` (for the bound)."""

    name: str
    nodes: frozenset[Node]
    area: BaseGeometry
    width_m: float | None = None
    """The narrowest width of the bridge or tunnel the leg passes (None: neither)."""


@dataclass(frozen=True, kw_only=True)
class Movement:
    """The people of one origin and where the plan sends them."""

    origin: str
    people: int
    nodes: tuple[Node, ...]
    area: BaseGeometry
    pre_movement: PreMovement
    legs: tuple[Leg, ...]
    """Passages in order, then the destination (several destination legs: the nearest one)."""
    destinations: tuple[Leg, ...]
    earliest_start_s: float = math.inf
    """The earliest time a hazard can make them start before their pre-movement time is up
    (inf: nothing hurries them)."""


@dataclass(frozen=True)
class Screening:
    """The screening's answer for one plan."""

    lower_bound_s: float
    estimated_t95_s: float
    estimated_above_aegl2: float
    estimated_fatalities: float
    bottleneck: str | None
    """The passage whose capacity bound is highest (None when walking time dominates)."""
    routes: dict[str, list[Node]]
    """Per origin, the path (network nodes) its first packet took."""


@dataclass(frozen=True)
class _Packet:
    movement: int
    people: float
    departure: float
    node: Node


def screen_plan(
    network: WalkNetwork,
    movements: Sequence[Movement],
    *,
    walking_speed_m_s: float,
    edge_cost: dict[int, float] | None = None,
    plume: PuffModel | None = None,
    speed_factor: float = 1.0,
    total_people: int | None = None,
) -> Screening:
    """Screen one plan: the CCRP-style estimate and the lower bound (see the module docstring).

    `edge_cost` multiplies the walking time of edges (by edge key) when paths are chosen: the
    hazard's route cost. `speed_factor` is the most a hazard can speed people up (flight)."""
    total = total_people if total_people is not None else sum(m.people for m in movements)
    arrivals, trajectories, routes = _route_packets(
        network, movements, walking_speed_m_s=walking_speed_m_s, edge_cost=edge_cost or {}
    )
    weights = np.array([p for p, _ in arrivals])
    times = np.array([t for _, t in arrivals])
    estimate = _weighted_quantile(times, weights, 0.95, total)
    above, fatalities = (0.0, 0.0)
    if plume is not None and trajectories:
        above, fatalities = _exposure(plume, trajectories, weights)
    lower, bottleneck = lower_bound(movements, speed_factor=speed_factor, total_people=total)
    return Screening(
        lower_bound_s=lower,
        estimated_t95_s=estimate,
        estimated_above_aegl2=above,
        estimated_fatalities=fatalities,
        bottleneck=bottleneck,
        routes=routes,
    )


def lower_bound(
    movements: Sequence[Movement], *, speed_factor: float = 1.0, total_people: int | None = None
) -> tuple[float, str | None]:
    """A lower bound on the T95 clearance time of any seed, and the passage that sets it."""
    total = total_people if total_people is not None else sum(m.people for m in movements)
    needed = math.ceil(0.95 * total)
    v_max = MAX_SPEED_M_S * speed_factor
    # Walking: each person arrives no earlier than start + straight-line legs / v_max.
    share = 0.95 - 3.0 * math.sqrt(0.95 * 0.05 / max(total, 1))
    walk_lengths = [_legs_length(m) for m in movements]
    grid = np.linspace(0.0, 4 * 3600.0, 14_401)
    cdf = np.zeros_like(grid)
    for movement, length in zip(movements, walk_lengths, strict=True):
        start_cdf = _start_cdf(movement, grid - length / v_max)
        cdf += movement.people * start_cdf
    cdf /= max(total, 1)
    reached = np.flatnonzero(cdf >= share)
    bound = float(grid[reached[0]]) if reached.size else float(grid[-1])
    which: str | None = None
    # Passages: people through a passage of width w pass at most MAX_SPECIFIC_FLOW · w per s.
    through: dict[str, list[tuple[Movement, int]]] = {}
    widths: dict[str, float] = {}
    for movement in movements:
        for index, leg in enumerate(movement.legs):
            if leg.width_m is not None:
                through.setdefault(leg.name, []).append((movement, index))
                widths[leg.name] = leg.width_m
    for name, users in through.items():
        people = sum(m.people for m, _ in users)
        must_pass = needed - (total - people)
        if must_pass <= 0:
            continue
        first = min(_legs_length(m, upto=i + 1) for m, i in users) / v_max  # starts >= 0
        after = min(_legs_length(m, start=i + 1) for m, i in users) / v_max
        candidate = first + must_pass / (MAX_SPECIFIC_FLOW * widths[name]) + after
        if candidate > bound:
            bound, which = candidate, name
    return bound, which


def _start_cdf(movement: Movement, t: FloatArray) -> FloatArray:
    """P(start <= t) for the movement's people, a hazard's early start included."""
    pre = movement.pre_movement
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(np.maximum(t, 1e-9)) - math.log(pre.median_s)) / max(pre.sigma, 1e-9)
    cdf = np.where(t > 0, ndtr(z), 0.0)
    cdf = np.where(t >= pre.max_s, 1.0, cdf)
    return np.asarray(np.where(t >= movement.earliest_start_s, 1.0, cdf), dtype=float)


def _legs_length(movement: Movement, *, start: int = 0, upto: int | None = None) -> float:
    """Straight-line length from the origin (start 0) or the end of leg `start - 1` through the
    legs before `upto` (None: all of them, and on to the nearest destination)."""
    legs = list(movement.legs)
    previous = movement.area if start == 0 else legs[start - 1].area
    length = 0.0
    for leg in legs[start : len(legs) if upto is None else upto]:
        length += float(previous.distance(leg.area))
        previous = leg.area
    if upto is None:
        length += min(float(previous.distance(d.area)) for d in movement.destinations)
    return length


def _route_packets(
    network: WalkNetwork,
    movements: Sequence[Movement],
    *,
    walking_speed_m_s: float,
    edge_cost: dict[int, float],
) -> tuple[
    list[tuple[float, float]], list[list[tuple[float, float, float]]], dict[str, list[Node]]
]:
    packets: list[_Packet] = []
    for index, movement in enumerate(movements):
        count = max(1, round(movement.people / PACKET_PEOPLE))
        quantiles = (np.arange(count) + 0.5) / count
        pre = movement.pre_movement
        departures = np.minimum(
            np.exp(math.log(pre.median_s) + pre.sigma * ndtri(quantiles)), pre.max_s
        )
        for k, departure in enumerate(departures):
            node = movement.nodes[k % len(movement.nodes)]
            packets.append(_Packet(index, movement.people / count, float(departure), node))
    packets.sort(key=lambda p: p.departure)
    free_at: dict[int, float] = {}
    arrivals: list[tuple[float, float]] = []
    trajectories: list[list[tuple[float, float, float]]] = []
    routes: dict[str, list[Node]] = {}
    graph = network.graph
    for packet in packets:
        movement = movements[packet.movement]
        time, node = packet.departure, packet.node
        track = [(0.0, *network.xy[node]), (time, *network.xy[node])]
        path_nodes = [node]
        for leg_targets in _leg_targets(movement):
            result = _earliest_arrival(
                network,
                node,
                time,
                leg_targets,
                speed=walking_speed_m_s,
                free_at=free_at,
                edge_cost=edge_cost,
            )
            if result is None:
                break
            path, enters = result
            for (u, v), enter in zip(itertools.pairwise(path), enters, strict=True):
                data = graph.edges[u, v]
                rate = SPECIFIC_FLOW * float(data["width"])
                free_at[data["key"]] = enter + packet.people / rate
                leave = enter + float(data["length"]) / walking_speed_m_s
                track.append((enter, *network.xy[u]))
                track.append((leave, *network.xy[v]))
                time = leave
            node = path[-1]
            path_nodes.extend(path[1:])
        else:
            arrivals.append((packet.people, time))
            trajectories.append(track)
            routes.setdefault(movement.origin, path_nodes)
            continue
        arrivals.append((packet.people, math.inf))  # no way through: never arrives
        trajectories.append(track)
    return arrivals, trajectories, routes


def _leg_targets(movement: Movement) -> list[frozenset[Node]]:
    destinations = frozenset(n for d in movement.destinations for n in d.nodes)
    return [*(leg.nodes for leg in movement.legs), destinations]


def _earliest_arrival(
    network: WalkNetwork,
    source: Node,
    time: float,
    targets: frozenset[Node],
    *,
    speed: float,
    free_at: dict[int, float],
    edge_cost: dict[int, float],
) -> tuple[list[Node], list[float]] | None:
    """Time-dependent Dijkstra: a way can be entered once the packets before have gone in.
    Returns the path and the time each edge is entered, or None if no target is reachable."""
    if source in targets:
        return [source], []
    graph = network.graph
    best: dict[Node, float] = {source: 0.0}
    state: dict[Node, tuple[float, Node | None, float]] = {source: (time, None, time)}
    queue: list[tuple[float, int, Node]] = [(0.0, 0, source)]
    counter = 1
    while queue:
        cost, _, u = heapq.heappop(queue)
        if cost > best.get(u, math.inf):
            continue
        if u in targets:
            path, enters = [u], []
            while state[u][1] is not None:
                enters.append(state[u][2])
                u = state[u][1]
                path.append(u)
            return path[::-1], enters[::-1]
        now = state[u][0]
        for v, data in graph[u].items():
            enter = max(now, free_at.get(data["key"], 0.0))
            walk = float(data["length"]) / speed
            arrive = enter + walk
            new_cost = cost + (enter - now) + walk * edge_cost.get(data["key"], 1.0)
            if new_cost < best.get(v, math.inf):
                best[v] = new_cost
                state[v] = (arrive, u, enter)
                heapq.heappush(queue, (new_cost, counter, v))
                counter += 1
    return None


def _exposure(
    plume: PuffModel, trajectories: list[list[tuple[float, float, float]]], weights: FloatArray
) -> tuple[float, float]:
    """People above AEGL-2 and expected fatalities if every packet walks its track (waiting at
    its origin until it leaves; safe once arrived)."""
    end = max(track[-1][0] for track in trajectories)
    sample_times = np.arange(0.0, end + EXPOSURE_SAMPLE_S, EXPOSURE_SAMPLE_S)
    xs = np.empty((len(trajectories), sample_times.size))
    ys = np.empty_like(xs)
    gone = np.zeros_like(xs, dtype=bool)
    for k, track in enumerate(trajectories):
        t = np.array([point[0] for point in track])
        xs[k] = np.interp(sample_times, t, [p[1] for p in track])
        ys[k] = np.interp(sample_times, t, [p[2] for p in track])
        gone[k] = sample_times > t[-1]
    exposure = Exposure(len(trajectories), every_s=EXPOSURE_SAMPLE_S)
    everyone = np.arange(len(trajectories))
    for j, when in enumerate(sample_times):
        ppm = plume.ppm(xs[:, j], ys[:, j], float(when))
        exposure.record(everyone, np.where(gone[:, j], 0.0, ppm))
    above = float(weights[exposure.above_aegl(2)].sum())
    fatalities = float((weights * exposure.fatality_probability()).sum())
    return above, fatalities


def _weighted_quantile(times: FloatArray, weights: FloatArray, share: float, total: int) -> float:
    order = np.argsort(times)
    cumulative = np.cumsum(weights[order])
    index = int(np.searchsorted(cumulative, share * total - 1e-9))
    return float(times[order][min(index, times.size - 1)]) if times.size else math.inf


def summarise(screening: Screening) -> dict[str, Any]:
    """The screening's numbers for ranking.json (rounded)."""
    estimate = screening.estimated_t95_s
    return {
        "lower_bound_s": round(screening.lower_bound_s, 1),
        # None: some people have no way to their destination on the network.
        "estimated_t95_s": round(estimate, 1) if math.isfinite(estimate) else None,
        "estimated_above_aegl2": round(screening.estimated_above_aegl2),
        "estimated_fatalities": round(screening.estimated_fatalities, 2),
        "bottleneck": screening.bottleneck,
    }
