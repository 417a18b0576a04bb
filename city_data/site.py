"""The `Site`: everything the crowd model needs to know about a place, in one frozen object."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, overload

import geopandas as gpd
import networkx as nx
import numpy as np
from shapely.geometry import MultiPolygon

from city_data.frame import FloatArray, LocalFrame
from city_data.places import Place, PlaceKind
from city_data.raster import WalkableGrid, rasterise
from evac.errors import SiteError


@dataclass(frozen=True)
class Site:
    """A site in its local metric frame: walk network, walkable area, obstacles and named places."""

    name: str
    source: str
    frame: LocalFrame
    walk_graph: nx.MultiGraph[Any]
    """Undirected; nodes: `x`, `y` (local m), `lon`, `lat`; edges: `length`, `width`, `geometry`."""
    walkable_area: MultiPolygon
    buildings: MultiPolygon
    water: MultiPolygon
    context_areas: gpd.GeoDataFrame
    places: tuple[Place, ...]
    approximate: bool = False
    """True for a map built from facts rather than surveyed data (the bundled Plzeň site)."""
    description: str = ""
    _by_name: dict[str, Place] = field(init=False, repr=False, compare=False)
    _node_ids: list[Any] = field(init=False, repr=False, compare=False)
    _node_xy: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {place.name: place for place in self.places})
        ids = list(self.walk_graph.nodes)
        xy = np.array([(self.walk_graph.nodes[n]["x"], self.walk_graph.nodes[n]["y"]) for n in ids])
        object.__setattr__(self, "_node_ids", ids)
        object.__setattr__(self, "_node_xy", xy.reshape(-1, 2))

    @property
    def crs(self) -> str:
        """The local frame as text (UTM zone and origin offset)."""
        return self.frame.crs

    @overload
    def to_local(self, lon: float, lat: float) -> tuple[float, float]: ...
    @overload
    def to_local(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]: ...
    def to_local(
        self, lon: float | FloatArray, lat: float | FloatArray
    ) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
        """WGS84 longitude/latitude to local metres."""
        return self.frame.to_local(lon, lat)  # type: ignore[arg-type]

    @overload
    def to_wgs84(self, x: float, y: float) -> tuple[float, float]: ...
    @overload
    def to_wgs84(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]: ...
    def to_wgs84(
        self, x: float | FloatArray, y: float | FloatArray
    ) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
        """Local metres to WGS84 longitude/latitude."""
        return self.frame.to_wgs84(x, y)  # type: ignore[arg-type]

    def place(self, name: str) -> Place:
        """The place with this name."""
        try:
            return self._by_name[name]
        except KeyError:
            raise SiteError(f"site '{self.name}' has no place named '{name}'") from None

    def places_of(self, kind: PlaceKind | str) -> tuple[Place, ...]:
        """All places of one kind, in file order."""
        wanted = PlaceKind(kind)
        return tuple(place for place in self.places if place.kind == wanted)

    def nearest_node(self, x: float, y: float) -> int:
        """The walk-graph node nearest to a local point."""
        return int(
            min(
                self.walk_graph.nodes,
                key=lambda n: (
                    (self.walk_graph.nodes[n]["x"] - x) ** 2
                    + (self.walk_graph.nodes[n]["y"] - y) ** 2
                ),
            )
        )

    def walking_distance(self, start: tuple[float, float], end: tuple[float, float]) -> float:
        """Shortest walking distance in metres between two local points, via their nearest nodes."""
        source = self.nearest_node(*start)
        target = self.nearest_node(*end)
        try:
            return float(nx.shortest_path_length(self.walk_graph, source, target, weight="length"))
        except nx.NetworkXNoPath:
            return float("inf")

    def rasterise(
        self,
        *,
        resolution: float = 0.5,
        bounds: tuple[float, float, float, float] | None = None,
    ) -> WalkableGrid:
        """The walkable area on a metric grid (walkable mask and distance to the nearest wall)."""
        return rasterise(self.walkable_area, resolution=resolution, bounds=bounds)
