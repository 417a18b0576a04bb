"""What OpenStreetMap tags mean for walking: the walk filter, street widths, and area classes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

# Tags kept on ways and nodes when reading OSM data (everything the walk network and areas use).
WAY_TAGS: tuple[str, ...] = (
    "highway",
    "name",
    "foot",
    "access",
    "service",
    "area",
    "sidewalk",
    "sidewalk:both",
    "sidewalk:left",
    "sidewalk:right",
    "width",
    "est_width",
    "bridge",
    "tunnel",
    "layer",
    "footway",
    "crossing",
    "oneway",
    "ref",
)
NODE_TAGS: tuple[str, ...] = ("highway", "barrier", "name", "ref", "crossing")

# Tags whose features (areas and points) are read besides the walk network.
FEATURE_TAGS: dict[str, bool | list[str]] = {
    "building": True,
    "natural": ["water"],
    "waterway": ["riverbank", "dock", "river", "canal"],
    "water": True,
    "landuse": ["reservoir", "basin", "industrial", "railway"],
    "highway": ["pedestrian", "footway", "bus_stop", "platform"],
    "place": ["square"],
    "leisure": ["park", "garden", "playground", "bleachers", "pitch", "stadium"],
    "amenity": ["parking"],
    "man_made": ["bridge"],
    "public_transport": ["platform"],
    "railway": ["platform", "tram_stop"],
    "emergency": ["assembly_point"],
}

# Highway values that are never for walking (after osmnx's "walk" network filter).
_NOT_WALKABLE_HIGHWAYS = frozenset(
    {
        "abandoned",
        "bus_guideway",
        "construction",
        "motorway",
        "motorway_link",
        "no",
        "planned",
        "platform",
        "proposed",
        "raceway",
        "razed",
        "elevator",
        "bus_stop",
    }
)
_FOOT_ALLOWED = frozenset({"yes", "designated", "permissive", "official"})

# Default walkable width in metres by highway class: the whole street corridor, because in an
# evacuation traffic is stopped and the crowd uses carriageway and sidewalks alike.
DEFAULT_WIDTH_M: dict[str, float] = {
    "trunk": 14.0,
    "trunk_link": 8.0,
    "primary": 12.0,
    "primary_link": 7.0,
    "secondary": 10.0,
    "secondary_link": 6.0,
    "tertiary": 8.0,
    "tertiary_link": 6.0,
    "unclassified": 6.0,
    "residential": 7.0,
    "living_street": 6.0,
    "service": 4.0,
    "road": 6.0,
    "pedestrian": 6.0,
    "footway": 2.5,
    "path": 2.0,
    "cycleway": 2.5,
    "bridleway": 2.0,
    "steps": 2.0,
    "track": 3.0,
    "corridor": 2.0,
}
FALLBACK_WIDTH_M = 3.0
_WIDTH_RANGE_M = (0.5, 60.0)
_NUMBER = re.compile(r"^\s*([0-9]+(?:[.,][0-9]+)?)\s*(m|meters?|metres?)?\s*$", re.IGNORECASE)


class AreaClass(StrEnum):
    """How an OSM area takes part in the walkable area."""

    OPEN = "open"  # walkable ground: squares, pedestrian areas, parks, stands, platforms
    BRIDGE = "bridge"  # walkable above water and buildings
    BUILDING = "building"  # an obstacle
    WATER = "water"  # an obstacle
    CONTEXT = "context"  # drawn on maps only (stadium outline, industrial land, pitch)


def tag(tags: Mapping[str, Any], key: str) -> str:
    """A tag's value as a lower-case string; '' when absent or empty (NaN from data frames too)."""
    value = tags.get(key)
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, list):  # osmnx merges the tags of simplified ways into lists
        value = sorted(str(v) for v in value)[0] if value else ""
    return str(value).strip().lower()


def is_walkable_way(tags: Mapping[str, Any]) -> bool:
    """Whether pedestrians may use a way, following osmnx's "walk" filter and the foot=* tags."""
    highway = tag(tags, "highway")
    if not highway or highway in _NOT_WALKABLE_HIGHWAYS:
        return False
    if tag(tags, "area") == "yes":
        return False
    foot = tag(tags, "foot")
    if foot == "no":
        return False
    if foot in _FOOT_ALLOWED:
        return True
    if tag(tags, "access") in {"private", "no"} or tag(tags, "service") == "private":
        return False
    if highway == "cycleway":
        return False
    # A street mapped with separate sidewalk ways is walked on those sidewalks.
    sidewalk_keys = ("sidewalk", "sidewalk:both")
    return not any(tag(tags, key) == "separate" for key in sidewalk_keys)


def parse_width_m(value: Any) -> float | None:
    """A width tag in metres ('3', '3.5 m', '2,5'); None when missing or not understood."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, list):
        parsed = [w for w in (parse_width_m(v) for v in value) if w is not None]
        return min(parsed) if parsed else None
    if isinstance(value, int | float):
        number = float(value)
    else:
        match = _NUMBER.match(str(value))
        if match is None:
            return None
        number = float(match.group(1).replace(",", "."))
    low, high = _WIDTH_RANGE_M
    return number if low <= number <= high else None


def way_width_m(tags: Mapping[str, Any]) -> float:
    """A way's walkable width: its width tag, else pyrosm's estimate, else the class default."""
    for key in ("width", "est_width"):
        width = parse_width_m(tags.get(key))
        if width is not None:
            return width
    highway = tag(tags, "highway")
    if tag(tags, "footway") == "crossing":
        return 4.0
    return DEFAULT_WIDTH_M.get(highway, FALLBACK_WIDTH_M)


def is_layered(tags: Mapping[str, Any]) -> bool:
    """Whether a way runs above or below the ground (bridge, tunnel, non-zero layer)."""
    if tag(tags, "bridge") not in {"", "no"} or tag(tags, "tunnel") not in {"", "no"}:
        return True
    layer = tag(tags, "layer")
    return layer not in {"", "0"}


def area_class(tags: Mapping[str, Any]) -> AreaClass | None:
    """How an area feature counts for walking; None when it plays no part."""
    if tag(tags, "man_made") == "bridge":
        return AreaClass.BRIDGE
    if tag(tags, "leisure") == "bleachers":
        return AreaClass.OPEN
    if tag(tags, "building") not in {"", "no"}:
        return AreaClass.BUILDING
    if (
        tag(tags, "natural") == "water"
        or tag(tags, "waterway") in {"riverbank", "dock"}
        or tag(tags, "water")
        or tag(tags, "landuse") in {"reservoir", "basin"}
    ):
        return AreaClass.WATER
    if (
        tag(tags, "highway") in {"pedestrian", "footway", "platform"}
        or tag(tags, "place") == "square"
        or tag(tags, "leisure") in {"park", "garden", "playground"}
        or tag(tags, "amenity") == "parking"
        or tag(tags, "public_transport") == "platform"
        or tag(tags, "railway") == "platform"
    ):
        return AreaClass.OPEN
    if tag(tags, "landuse") or tag(tags, "leisure"):
        return AreaClass.CONTEXT
    return None
