"""The walkable area: streets buffered by width plus open spaces, minus buildings and water."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import networkx as nx
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from city_data.osm_tags import AreaClass, area_class

# Pieces of walkable area smaller than this (m²) are slivers left by the geometry operations.
_MIN_PIECE_M2 = 1.0
_AREA_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class AreaLayers:
    """The site's areas in local metres: the walkable area and what shapes it."""

    walkable: MultiPolygon
    buildings: MultiPolygon
    water: MultiPolygon
    context: gpd.GeoDataFrame
    """Areas drawn on maps only (stadium outline, industrial land, pitches), with their tags."""


def classify_features(features: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The polygon features with an `area_class` column (rows that play no part dropped)."""
    polygons = features[features.geometry.geom_type.isin(_AREA_TYPES)].copy()
    classes = [area_class(row) for row in polygons.drop(columns="geometry").to_dict("records")]
    polygons["area_class"] = classes
    return polygons[polygons["area_class"].notna()]


def build_area_layers(walk_graph: nx.MultiGraph[Any], areas: gpd.GeoDataFrame) -> AreaLayers:
    """Compose the walkable area from the walk graph's edges and the classified areas (metres).

    Ways and open spaces on the ground lose the parts covered by buildings or water; bridges and
    tunnels (and bridge areas) are added back afterwards, since they pass over or under both.
    """
    ground_ways: list[BaseGeometry] = []
    layered_ways: list[BaseGeometry] = []
    for _, _, data in walk_graph.edges(data=True):
        # Round caps close the corners where ways of different widths meet at a junction.
        buffered = data["geometry"].buffer(data["width"] / 2.0, quad_segs=4)
        (layered_ways if data.get("layered") else ground_ways).append(buffered)

    def union_of(area_class_value: AreaClass) -> BaseGeometry:
        geoms = areas.loc[areas["area_class"] == area_class_value, "geometry"]
        return shapely.union_all(shapely.make_valid(geoms.to_numpy()))

    open_spaces = union_of(AreaClass.OPEN)
    buildings = union_of(AreaClass.BUILDING)
    water = union_of(AreaClass.WATER)
    bridges = union_of(AreaClass.BRIDGE)

    ground = shapely.union_all([shapely.union_all(ground_ways), open_spaces])
    walkable = shapely.difference(ground, shapely.union(buildings, water))
    walkable = shapely.union_all([walkable, shapely.union_all(layered_ways), bridges])
    context = areas[areas["area_class"] == AreaClass.CONTEXT]
    return AreaLayers(
        walkable=_polygons_only(walkable, min_area=_MIN_PIECE_M2),
        buildings=_polygons_only(buildings),
        water=_polygons_only(water),
        context=context,
    )


def _polygons_only(geometry: BaseGeometry, *, min_area: float = 0.0) -> MultiPolygon:
    """The polygonal parts of a geometry as a valid MultiPolygon, without pieces below min_area."""
    geometry = shapely.make_valid(geometry)
    parts = [
        part
        for part in shapely.get_parts(geometry)
        if isinstance(part, Polygon | MultiPolygon) and part.area > min_area
    ]
    flat: list[Polygon] = []
    for part in parts:
        flat.extend(part.geoms if isinstance(part, MultiPolygon) else [part])
    return MultiPolygon(flat)
