"""Named places of a site: sectors, gates, assembly areas, transit stops, hazards, sensors."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from shapely.geometry import Polygon

from city_data.frame import LocalFrame
from evac.errors import SiteError


class PlaceKind(StrEnum):
    """What a named place is for."""

    SECTOR = "sector"
    GATE = "gate"
    ASSEMBLY_AREA = "assembly_area"
    TRANSIT_STOP = "transit_stop"
    HAZARD_SOURCE = "hazard_source"
    SENSOR = "sensor"


@dataclass(frozen=True, kw_only=True)
class Place:
    """A named point of the site, in both the local frame (x, y metres) and WGS84 (lat, lon)."""

    name: str
    kind: PlaceKind
    x: float
    y: float
    lat: float
    lon: float
    footprint: Polygon | None = None
    """The place's area in local metres, where it has one (a sector, an assembly area)."""

    def as_dict(self) -> dict[str, Any]:
        """The place as JSON-ready values (WGS84 and local coordinates, kind-specific fields)."""
        out: dict[str, Any] = {}
        for key, value in vars(self).items():
            if key == "footprint":
                if value is not None:
                    out["area_m2"] = round(value.area, 1)
                continue
            out[key] = value.value if isinstance(value, PlaceKind) else value
        return out


@dataclass(frozen=True, kw_only=True)
class Sector(Place):
    """A block of seats in a stand; everyone in it starts in its footprint."""

    capacity: int
    stand: str = ""


@dataclass(frozen=True, kw_only=True)
class Gate(Place):
    """A way through the stadium's outer wall; `width` is the clear level width in metres."""

    width: float


@dataclass(frozen=True, kw_only=True)
class AssemblyArea(Place):
    """A safe place named by the response plan, where evacuees gather."""

    capacity: int | None = None


@dataclass(frozen=True, kw_only=True)
class TransitStop(Place):
    """A public-transport platform (tram, trolleybus, bus)."""

    stop_code: str = ""
    modes: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class HazardSource(Place):
    """Where a hazard may start (bundled site: the brewery's ammonia plant, position assumed)."""

    substance: str = ""
    inventory_kg: float | None = None
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Sensor(Place):
    """A fixed sensor: a people-counting camera, an acoustic detector, a gas detector."""

    sensor_type: str
    observes: str = ""


PLACE_CLASSES: dict[PlaceKind, type[Place]] = {
    PlaceKind.SECTOR: Sector,
    PlaceKind.GATE: Gate,
    PlaceKind.ASSEMBLY_AREA: AssemblyArea,
    PlaceKind.TRANSIT_STOP: TransitStop,
    PlaceKind.HAZARD_SOURCE: HazardSource,
    PlaceKind.SENSOR: Sensor,
}

# Fields each kind needs in a places file beyond name/lat/lon, with a check and what it expects.
_Check = tuple[Callable[[Any], bool], str]
_REQUIRED: dict[PlaceKind, dict[str, _Check]] = {
    PlaceKind.SECTOR: {
        "capacity": (lambda v: isinstance(v, int) and v > 0, "a positive integer"),
    },
    PlaceKind.GATE: {
        "width": (
            lambda v: isinstance(v, int | float) and 0.5 <= v <= 30,
            "a width in metres between 0.5 and 30",
        ),
    },
    PlaceKind.SENSOR: {
        "sensor_type": (lambda v: isinstance(v, str) and v != "", "a non-empty string"),
    },
}


def make_place(
    kind: PlaceKind,
    *,
    name: str,
    lon: float,
    lat: float,
    frame: LocalFrame,
    footprint: Polygon | None = None,
    **fields: Any,
) -> Place:
    """Build a place of the given kind from WGS84 coordinates, adding its local coordinates."""
    x, y = frame.to_local(lon, lat)
    cls = PLACE_CLASSES[kind]
    return cls(
        name=name,
        kind=kind,
        x=round(float(x), 2),
        y=round(float(y), 2),
        lat=lat,
        lon=lon,
        footprint=footprint,
        **fields,
    )


def load_places_file(path: Path, frame: LocalFrame) -> tuple[Place, ...]:
    """Read a places file (TOML: one array of tables per kind, WGS84 coordinates).

    Each entry has `name`, `lat`, `lon`, the fields of its kind, and optionally `outline`, a list of
    [lon, lat] pairs for places with an area.
    """
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SiteError(f"places file not found: {path}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SiteError(f"places file {path} is not valid TOML: {exc}") from exc
    places: list[Place] = []
    for key, entries in document.items():
        try:
            kind = PlaceKind(key)
        except ValueError:
            expected = ", ".join(k.value for k in PlaceKind)
            raise SiteError(
                f"places file {path}: unknown kind '{key}' (expected one of: {expected})"
            ) from None
        if not isinstance(entries, list):
            raise SiteError(f"places file {path}: '{key}' must be an array of tables ([[{key}]])")
        for index, entry in enumerate(entries):
            places.append(_place_from_entry(entry, kind, f"{path}: {key}[{index}]", frame))
    _check_unique_names(places, str(path))
    return tuple(places)


def _place_from_entry(
    entry: Mapping[str, Any], kind: PlaceKind, where: str, frame: LocalFrame
) -> Place:
    fields = dict(entry)
    name = fields.pop("name", None)
    if not isinstance(name, str) or not name:
        raise SiteError(f"{where}: key 'name' must be a non-empty string, got {name!r}")
    lon, lat = fields.pop("lon", None), fields.pop("lat", None)
    if not (isinstance(lon, int | float) and -180 <= lon <= 180):
        raise SiteError(f"{where} ({name}): key 'lon' must be degrees in -180..180, got {lon!r}")
    if not (isinstance(lat, int | float) and -90 <= lat <= 90):
        raise SiteError(f"{where} ({name}): key 'lat' must be degrees in -90..90, got {lat!r}")
    for field_name, (is_valid, expected) in _REQUIRED.get(kind, {}).items():
        if not is_valid(fields.get(field_name)):
            raise SiteError(
                f"{where} ({name}): key '{field_name}' must be {expected}, "
                f"got {fields.get(field_name)!r}"
            )
    footprint = None
    outline = fields.pop("outline", None)
    if outline is not None:
        footprint = _outline_to_local(outline, frame, f"{where} ({name})")
    if "modes" in fields:
        fields["modes"] = tuple(fields["modes"])
    allowed = set(PLACE_CLASSES[kind].__dataclass_fields__) - set(Place.__dataclass_fields__)
    unknown = set(fields) - allowed
    if unknown:
        raise SiteError(
            f"{where} ({name}): unknown key(s) {sorted(unknown)} for a {kind.value} "
            f"(allowed: name, lat, lon, outline, {', '.join(sorted(allowed))})"
        )
    return make_place(
        kind, name=name, lon=float(lon), lat=float(lat), frame=frame, footprint=footprint, **fields
    )


def _outline_to_local(outline: Any, frame: LocalFrame, where: str) -> Polygon:
    if not (
        isinstance(outline, list)
        and len(outline) >= 3
        and all(isinstance(p, list) and len(p) == 2 for p in outline)
    ):
        raise SiteError(f"{where}: key 'outline' must be a list of at least 3 [lon, lat] pairs")
    polygon = frame.geometry_to_local(Polygon(outline))
    if not polygon.is_valid or polygon.area <= 0:
        raise SiteError(f"{where}: key 'outline' is not a valid polygon")
    return polygon


def _check_unique_names(places: Sequence[Place], where: str) -> None:
    seen: set[tuple[PlaceKind, str]] = set()
    for place in places:
        key = (place.kind, place.name)
        if key in seen:
            raise SiteError(f"{where}: two {place.kind.value} places are named '{place.name}'")
        seen.add(key)
