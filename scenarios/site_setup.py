"""A site as a simulation venue: the part of the map simulated, the destinations people walk to,
named areas that can be closed, and the measurement lines at gates and bridges."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import shapely
import shapely.ops
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from city_data.places import PlaceKind
from city_data.site import Site
from evac.errors import ScenarioError

TRANSIT_STOPS = "transit stops"
"""The destination made of every transit stop inside the simulated part of the map."""
STOP_RADIUS_M = 6.0  # the platform area around a stop's point where people count as arrived
CLOSING_M = 0.5
_GATE_LINE_MARGIN_M = 0.5
_BRIDGE_LINE_MARGIN_M = 1.0
CROSSING_M = 120.0
"""A named way at most this long is a crossing: a plan's `via` means crossing it."""


@dataclass(frozen=True)
class Destination:
    """Where people end their walk: an assembly area or the transit stops, as one exit polygon."""

    name: str
    area: Polygon | MultiPolygon


@dataclass(frozen=True)
class SiteVenue:
    """The simulated part of a site: walkable area (local metres), destinations, lines."""

    site: Site
    bounds: tuple[float, float, float, float]
    walkable_area: Polygon | MultiPolygon
    destinations: tuple[Destination, ...]
    measurement_lines: dict[str, LineString]

    def destination_index(self, name: str, *, key: str) -> int:
        """The exit index of a destination; `key` names the scenario entry that asked."""
        for index, destination in enumerate(self.destinations):
            if destination.name == name:
                return index
        names = ", ".join(d.name for d in self.destinations)
        raise ScenarioError(f"{key}: no destination named '{name}' (destinations: {names})")


def build_site_venue(
    site: Site, *, bounds: Sequence[float], destinations: Sequence[str]
) -> SiteVenue:
    """Clip the site to `bounds` (x_min, y_min, x_max, y_max in local metres) and set up the named
    destinations (assembly areas by name, or `TRANSIT_STOPS`)."""
    x0, y0, x1, y1 = (float(v) for v in bounds)
    if not (x1 > x0 and y1 > y0):
        raise ScenarioError(f"site.bounds must be [x_min, y_min, x_max, y_max], got {bounds!r}")
    clip = box(x0, y0, x1, y1)
    # A morphological closing fills slivers and sharp spikes of non-walkable ground narrower
    # than 2 * CLOSING_M, left where the buffered ways of a map meet at acute angles: on a
    # raster they become one-cell wall tips that pin people in place.
    nearby = site.walkable_area.intersection(clip.buffer(2 * CLOSING_M))
    walkable = nearby.buffer(CLOSING_M).buffer(-CLOSING_M).intersection(clip)
    if not isinstance(walkable, Polygon | MultiPolygon) or walkable.is_empty:
        parts = [g for g in getattr(walkable, "geoms", []) if isinstance(g, Polygon)]
        if not parts:
            raise ScenarioError(f"site.bounds {list(bounds)} hold no walkable area")
        walkable = MultiPolygon(parts)
    chosen = tuple(_destination(site, name, walkable) for name in destinations)
    return SiteVenue(
        site=site,
        bounds=(x0, y0, x1, y1),
        walkable_area=walkable,
        destinations=chosen,
        measurement_lines=measurement_lines(site, walkable),
    )


def _destination(site: Site, name: str, walkable: BaseGeometry) -> Destination:
    if name == TRANSIT_STOPS:
        discs = [
            Point(stop.x, stop.y).buffer(STOP_RADIUS_M) for stop in site.places_of("transit_stop")
        ]
        area = shapely.union_all(discs).intersection(walkable)
    else:
        try:
            place = site.place(name)
        except Exception as exc:
            raise ScenarioError(f"destination '{name}': {exc}") from None
        if place.kind != PlaceKind.ASSEMBLY_AREA or place.footprint is None:
            raise ScenarioError(
                f"destination '{name}' must be an assembly area with an outline or "
                f"'{TRANSIT_STOPS}', got a {place.kind}"
            )
        area = place.footprint.intersection(walkable)
    polygons = [g for g in getattr(area, "geoms", [area]) if isinstance(g, Polygon) and g.area > 1]
    if not polygons:
        raise ScenarioError(f"destination '{name}' lies outside the simulated part of the map")
    return Destination(name, polygons[0] if len(polygons) == 1 else MultiPolygon(polygons))


def named_area(site: Site, name: str, *, key: str) -> BaseGeometry:
    """The ground a name stands for, to close it: a gate's opening, a named street or bridge
    (its walkable width), or a place's outline."""
    ways = [
        (data["geometry"], float(data.get("width") or 2.0))
        for _, _, data in site.walk_graph.edges(data=True)
        if data.get("name") == name and "geometry" in data
    ]
    try:
        place = site.place(name)
    except Exception:
        place = None
    if place is not None and place.kind == PlaceKind.GATE:
        width = float(getattr(place, "width", 2.4))
        return Point(place.x, place.y).buffer(width)
    if ways:
        return shapely.union_all([line.buffer(width / 2 + 1.0) for line, width in ways])
    if place is not None and place.footprint is not None:
        return place.footprint
    raise ScenarioError(
        f"{key}: '{name}' is not a gate, street, bridge or place with an outline on this site"
    )


def via_area(
    site: Site, name: str, *, coming_from: tuple[float, float], key: str
) -> tuple[BaseGeometry, str]:
    """Where a plan's `via` entry is passed, and a tag naming that part of it.

    A crossing (a named way at most CROSSING_M long: a bridge, an underpass, a crossing) is
    passed on its far side, seen from `coming_from`: reaching its far half means having crossed
    it. A gate, a longer street or a place is passed on reaching any part of it."""
    ways = [
        (data["geometry"], float(data.get("width") or 2.0))
        for _, _, data in site.walk_graph.edges(data=True)
        if data.get("name") == name and "geometry" in data
    ]
    whole = named_area(site, name, key=key)
    if not ways or sum(line.length for line, _ in ways) > CROSSING_M:
        return whole, "whole"
    merged = shapely.line_merge(shapely.union_all([line for line, _ in ways]))
    if not isinstance(merged, LineString):
        return whole, "whole"
    width = max(w for _, w in ways)
    here = Point(coming_from)
    start, end = Point(merged.coords[0]), Point(merged.coords[-1])
    far_end = end if here.distance(end) >= here.distance(start) else start
    half = (
        shapely.ops.substring(merged, 0.5, 1.0, normalized=True)
        if far_end is end
        else (shapely.ops.substring(merged, 0.0, 0.5, normalized=True))
    )
    tag = f"far half towards ({far_end.x:.0f}, {far_end.y:.0f})"
    return half.buffer(width / 2 + 1.0), tag


def measurement_lines(site: Site, walkable: BaseGeometry) -> dict[str, LineString]:
    """A counting line across every gate and every named bridge inside the walkable area."""
    lines: dict[str, LineString] = {}
    for gate in site.places_of("gate"):
        direction = _way_direction(site, gate.name, (gate.x, gate.y))
        if direction is None or not walkable.contains(Point(gate.x, gate.y)):
            continue
        width = float(getattr(gate, "width", 2.4))
        lines[gate.name] = _across((gate.x, gate.y), direction, width / 2 + _GATE_LINE_MARGIN_M)
    bridges: dict[str, list[tuple[LineString, float]]] = {}
    for _, _, data in site.walk_graph.edges(data=True):
        if data.get("bridge") in {"yes", True} and data.get("name") and "geometry" in data:
            bridges.setdefault(str(data["name"]), []).append(
                (data["geometry"], float(data.get("width") or 3.0))
            )
    for name, pieces in sorted(bridges.items()):
        line, width = max(pieces, key=lambda piece: piece[0].length)
        middle = line.interpolate(0.5, normalized=True)
        if not walkable.contains(middle):
            continue
        ahead = line.interpolate(min(line.length, line.project(middle) + 1.0))
        behind = line.interpolate(max(0.0, line.project(middle) - 1.0))
        direction = (ahead.x - behind.x, ahead.y - behind.y)
        lines[name] = _across((middle.x, middle.y), direction, width / 2 + _BRIDGE_LINE_MARGIN_M)
    return lines


def _way_direction(site: Site, name: str, at: tuple[float, float]) -> tuple[float, float] | None:
    """The direction of the way called `name` where it passes `at`."""
    for _, _, data in site.walk_graph.edges(data=True):
        line = data.get("geometry")
        if data.get("name") != name or line is None or line.distance(Point(at)) > 1.0:
            continue
        along = line.project(Point(at))
        ahead = line.interpolate(min(line.length, along + 0.5))
        behind = line.interpolate(max(0.0, along - 0.5))
        return (ahead.x - behind.x, ahead.y - behind.y)
    return None


def _across(
    centre: tuple[float, float], direction: tuple[float, float], half_length: float
) -> LineString:
    """A segment through `centre`, square to `direction`; crossing it in `direction` counts as
    forward (the counter's left-to-right)."""
    dx, dy = direction
    norm = math.hypot(dx, dy) or 1.0
    nx_, ny_ = -dy / norm, dx / norm
    cx, cy = centre
    start = (cx + nx_ * half_length, cy + ny_ * half_length)
    end = (cx - nx_ * half_length, cy - ny_ * half_length)
    return LineString([start, end])
