"""Loader for walk networks saved as GraphML by osmnx (no areas: the streets are the area)."""

from __future__ import annotations

from pathlib import Path

import osmnx as ox

from city_data.osm_data import OsmData, empty_features
from evac.errors import SiteError


def read_graphml(path: Path) -> OsmData:
    """Read an osmnx GraphML file; a projected graph is brought back to WGS84."""
    try:
        graph = ox.load_graphml(path)
    except Exception as exc:  # networkx raises a zoo of parser errors for bad GraphML
        raise SiteError(f"{path} is not a readable osmnx GraphML file ({exc})") from exc
    crs = str(graph.graph.get("crs", "epsg:4326")).lower()
    if crs not in {"epsg:4326", "wgs84"}:
        graph = ox.project_graph(graph, to_latlong=True)
    return OsmData(graph=graph, features=empty_features(), source=str(path))
