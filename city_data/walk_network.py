"""The walk network: the walkable OSM ways as an undirected graph in the site's local frame."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import osmnx as ox
import shapely
from shapely.geometry import LineString

from city_data.frame import LocalFrame
from city_data.osm_tags import is_layered, is_walkable_way, tag, way_width_m
from evac.errors import SiteError

# Attributes kept on the edges of the walk graph (besides geometry, length and width).
_EDGE_KEEP = ("osmid", "highway", "name", "footway", "bridge", "tunnel", "layer", "crossing")
# A chain of edges is not merged across a change of these tags.
_SPLIT_ON_CHANGE = ("highway", "width", "est_width", "bridge", "tunnel", "layer", "footway", "name")


def build_walk_graph(
    raw: nx.MultiDiGraph[Any], frame: LocalFrame, *, source: str
) -> nx.MultiGraph[Any]:
    """Filter the walkable ways, merge chains of edges, and express everything in local metres.

    Nodes get `x`, `y` (local metres) and `lon`, `lat`; edges get a local `geometry`, `length`
    (metres, along the geometry), `width` (metres, from tags or the class default) and `layered`
    (bridge, tunnel or other layer). The graph is undirected: every way is walkable both ways.
    """
    keep = [(u, v, k) for u, v, k, data in raw.edges(keys=True, data=True) if is_walkable_way(data)]
    if not keep:
        raise SiteError(
            f"{source} holds no walkable ways (no footways, paths or streets open to pedestrians)"
        )
    graph: nx.MultiDiGraph[Any] = nx.MultiDiGraph(raw.edge_subgraph(keep))  # type: ignore[arg-type]
    graph.graph.setdefault("crs", "EPSG:4326")
    if not graph.graph.get("simplified", False):
        # Chains merge only where class, width and level stay the same, so each merged edge has
        # one width and bridges stay bridges.
        graph = ox.simplify_graph(graph, edge_attrs_differ=list(_SPLIT_ON_CHANGE))
    undirected: nx.MultiGraph[Any] = ox.convert.to_undirected(graph)

    node_ids = list(undirected.nodes)
    lon = np.array([undirected.nodes[n]["x"] for n in node_ids], dtype=float)
    lat = np.array([undirected.nodes[n]["y"] for n in node_ids], dtype=float)
    x, y = frame.to_local(lon, lat)
    walk: nx.MultiGraph[Any] = nx.MultiGraph(crs=frame.crs)
    for index, node in enumerate(node_ids):
        walk.add_node(
            node, x=float(x[index]), y=float(y[index]), lon=float(lon[index]), lat=float(lat[index])
        )

    edges = list(undirected.edges(keys=True, data=True))
    lines = [_edge_line(undirected, u, v, data) for u, v, _, data in edges]
    local_lines = shapely.transform(np.array(lines, dtype=object), _to_local_coords(frame))
    for (u, v, key, data), line in zip(edges, local_lines, strict=True):
        attrs: dict[str, Any] = {name: data[name] for name in _EDGE_KEEP if name in data}
        attrs["geometry"] = line
        attrs["length"] = float(line.length)
        attrs["width"] = way_width_m(data)
        attrs["layered"] = is_layered(data)
        attrs["highway"] = tag(data, "highway")
        walk.add_edge(u, v, key=key, **attrs)
    return walk


def _edge_line(graph: nx.MultiGraph[Any], u: Any, v: Any, data: dict[str, Any]) -> LineString:
    geometry = data.get("geometry")
    if isinstance(geometry, LineString):
        return geometry
    a, b = graph.nodes[u], graph.nodes[v]
    return LineString([(a["x"], a["y"]), (b["x"], b["y"])])


def _to_local_coords(frame: LocalFrame) -> Any:
    def convert(coords: np.ndarray[Any, np.dtype[np.float64]]) -> Any:
        x, y = frame.to_local(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return convert


def largest_component_share(graph: nx.MultiGraph[Any]) -> float:
    """Share of the nodes in the largest connected part of the graph (1.0 for a connected graph)."""
    if graph.number_of_nodes() == 0:
        return 0.0
    largest = max(nx.connected_components(graph), key=len)
    return len(largest) / graph.number_of_nodes()
