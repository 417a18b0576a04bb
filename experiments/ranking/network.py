"""The walk network of the simulated part of a site, as the screening and the plan generator see
it: a simple undirected graph in local metres, with each scenario origin and destination tied to
its nodes and each named passage (street, bridge, underpass) to its edges."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry

from city_data.places import PlaceKind
from city_data.site import Site
from evac.errors import ScenarioError
from scenarios.population import Origin
from scenarios.site_setup import STOP_RADIUS_M, TRANSIT_STOPS, SiteVenue

FloatArray = npt.NDArray[np.float64]
Node = Any
EdgeWeight = Callable[[Node, Node, dict[str, Any]], float | None]
"""An edge's cost for a path search; None: the edge cannot be used."""
_ATTACH_M = 8.0  # a node this close to an area belongs to it


@dataclass(frozen=True)
class WalkNetwork:
    """The walk graph inside a scenario's bounds with its origins and destinations attached.

    Edges carry `length` and `width` (m), `name` (or None), `geometry` and `key` (a stable
    index). Closed areas are removed before the network is built (`closed`)."""

    graph: nx.Graph[Any]
    xy: dict[Node, tuple[float, float]]
    origin_nodes: dict[str, tuple[Node, ...]]
    destination_nodes: dict[str, frozenset[Node]]
    stadium_nodes: frozenset[Node] = frozenset()
    _passages: dict[str, list[tuple[Node, Node]]] = field(default_factory=dict, repr=False)

    def passage_edges(self, name: str) -> list[tuple[Node, Node]]:
        """The edges of a named way (empty when the name is not a way inside the network)."""
        return self._passages.get(name, [])

    def passage_width(self, name: str) -> float:
        """The narrowest width (m) along a named way."""
        edges = self.passage_edges(name)
        if not edges:
            raise ScenarioError(f"'{name}' is not a street, bridge or path inside site.bounds")
        return min(float(self.graph.edges[e]["width"]) for e in edges)

    def passage_nodes(self, name: str) -> frozenset[Node]:
        return frozenset(n for edge in self.passage_edges(name) for n in edge)

    def path_names(self, path: Sequence[Node]) -> list[str]:
        """The named ways along a path, in order, each once."""
        names: list[str] = []
        for u, v in itertools.pairwise(path):
            name = self.graph.edges[u, v].get("name")
            if name and name not in names:
                names.append(str(name))
        return names


def build_walk_network(
    site: Site,
    venue: SiteVenue,
    origins: Iterable[Origin],
    *,
    closed: Sequence[BaseGeometry] = (),
    stadium: BaseGeometry | None = None,
) -> WalkNetwork:
    """The walk graph clipped to the venue's bounds, without ways inside `closed` areas, tied to
    the origins (nodes inside each area, else the nearest) and destinations."""
    clip = box(*venue.bounds)
    blocked = shapely.union_all(list(closed)) if closed else None
    graph: nx.Graph[Any] = nx.Graph()
    passages: dict[str, list[tuple[Node, Node]]] = {}
    for u, v, data in site.walk_graph.edges(data=True):
        line = data["geometry"]
        if not clip.contains(line.interpolate(0.5, normalized=True)):
            continue
        if blocked is not None and line.intersects(blocked):
            continue
        if graph.has_edge(u, v) and graph.edges[u, v]["length"] <= data["length"]:
            continue
        graph.add_edge(
            u,
            v,
            length=float(data["length"]),
            width=float(data.get("width") or 2.0),
            name=data.get("name"),
            geometry=line,
            bridge=bool(data.get("layered")),
        )
    xy = {n: (site.walk_graph.nodes[n]["x"], site.walk_graph.nodes[n]["y"]) for n in graph.nodes}
    for key, (u, v, data) in enumerate(graph.edges(data=True)):
        data["key"] = key
        if data["name"]:
            passages.setdefault(str(data["name"]), []).append((u, v))
    nodes = list(graph.nodes)
    points = np.array([xy[n] for n in nodes]).reshape(-1, 2)

    def attach(area: BaseGeometry) -> tuple[Node, ...]:
        near = np.asarray(shapely.dwithin(area, shapely.points(points), _ATTACH_M), dtype=bool)
        if near.any():
            return tuple(n for n, hit in zip(nodes, near, strict=True) if hit)
        anchor = area.representative_point()
        distance = np.hypot(points[:, 0] - anchor.x, points[:, 1] - anchor.y)
        return (nodes[int(np.argmin(distance))],)

    origin_nodes = {o.name: attach(o.area) for o in origins}
    destination_nodes: dict[str, frozenset[Node]] = {}
    for destination in venue.destinations:
        if destination.name == TRANSIT_STOPS:
            stops = [
                Point(s.x, s.y).buffer(STOP_RADIUS_M)
                for s in site.places_of(PlaceKind.TRANSIT_STOP)
                if clip.contains(Point(s.x, s.y))
            ]
            destination_nodes[destination.name] = frozenset(
                n for stop in stops for n in attach(stop)
            )
        else:
            destination_nodes[destination.name] = frozenset(attach(destination.area))
    inside = (
        frozenset(
            n
            for n, hit in zip(
                nodes, shapely.contains_xy(stadium, points[:, 0], points[:, 1]), strict=True
            )
            if hit
        )
        if stadium is not None
        else frozenset()
    )
    return WalkNetwork(
        graph=graph,
        xy=xy,
        origin_nodes=origin_nodes,
        destination_nodes=destination_nodes,
        stadium_nodes=inside,
        _passages=passages,
    )


def nearest_target(
    network: WalkNetwork, sources: Iterable[Node], targets: frozenset[Node], *, weight: EdgeWeight
) -> tuple[float, list[Node]]:
    """The cheapest path from any source to any target: (cost, nodes); (inf, []) if none."""
    sources = [s for s in sources if s in network.graph]
    if not sources or not targets:
        return float("inf"), []
    try:
        cost: dict[Node, float]
        path: dict[Node, list[Node]]
        cost, path = nx.multi_source_dijkstra(  # type: ignore[assignment]
            network.graph, sources, target=None, weight=weight
        )
    except nx.NodeNotFound:
        return float("inf"), []
    reached = [t for t in targets if t in cost]
    if not reached:
        return float("inf"), []
    best = min(reached, key=lambda t: cost[t])
    return float(cost[best]), list(path[best])
