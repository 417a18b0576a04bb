"""Raw OpenStreetMap content, as every loader returns it, before it becomes a `Site`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx


@dataclass(frozen=True)
class OsmData:
    """The ways and features read from one OSM source, in WGS84.

    `graph` is an osmnx-style MultiDiGraph (nodes with `x` = lon and `y` = lat; edges carrying the
    way tags of `osm_tags.WAY_TAGS`), not yet filtered for walking. `features` holds areas and
    points (buildings, water, squares, stops...) with one column per tag of `osm_tags.FEATURE_TAGS`.
    """

    graph: nx.MultiDiGraph[Any]
    features: gpd.GeoDataFrame
    source: str


def empty_features() -> gpd.GeoDataFrame:
    """A feature table with no rows."""
    return gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs="EPSG:4326")
