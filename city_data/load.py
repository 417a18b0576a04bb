"""`load_site`: one entry point for bundled sites, OSM XML/PBF extracts and saved GraphML."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from city_data.frame import LocalFrame
from city_data.graphml import read_graphml
from city_data.osm_data import OsmData
from city_data.osm_pbf import read_osm_pbf
from city_data.osm_tags import tag
from city_data.osm_xml import XML_SUFFIXES, read_osm_xml
from city_data.places import Place, PlaceKind, load_places_file, make_place
from city_data.site import Site
from city_data.walk_network import build_walk_graph
from city_data.walkable_area import build_area_layers, classify_features
from evac.errors import SiteError

BUNDLED_DIR = Path(__file__).parent
BUNDLED_SITES = {"plzen": BUNDLED_DIR / "plzen"}
_FORMATS = ".osm, .osm.bz2, .osm.gz, .osm.pbf or .graphml"


def load_site(source: str | Path, *, places: str | Path | None = None) -> Site:
    """Load a site: a bundled name (`plzen`), or a path to an OSM extract or a saved GraphML.

    Parameters
    ----------
    source
        `plzen`, or a path to an .osm, .osm.bz2, .osm.gz (read with osmnx), .osm.pbf (pyrosm) or
        .graphml (osmnx) file.
    places
        Optional places file (TOML) naming sectors, gates, assembly areas, hazard sources and
        sensors. Transit stops and assembly points tagged in the OSM data are always read.
    """
    if isinstance(source, str) and source in BUNDLED_SITES:
        return _load_bundled(source, BUNDLED_SITES[source])
    path = Path(source)
    if not path.exists():
        names = ", ".join(sorted(BUNDLED_SITES))
        raise SiteError(
            f"no such site or file: '{source}' (give a bundled site name: {names}; "
            f"or a path to an {_FORMATS} file)"
        )
    if path.is_dir():
        raise SiteError(f"'{source}' is a folder; give an {_FORMATS} file")
    raw = read_source(path)
    frame = _frame_for(raw)
    extra = () if places is None else load_places_file(Path(places), frame)
    return build_site(raw, frame=frame, name=path.name, extra_places=extra)


def read_source(path: Path) -> OsmData:
    """Read raw OSM data from a file, choosing the loader by the file's name or first bytes."""
    name = path.name.lower()
    if name.endswith(".pbf"):
        return read_osm_pbf(path)
    if name.endswith(".graphml"):
        return read_graphml(path)
    if name.endswith(XML_SUFFIXES):
        return read_osm_xml(path)
    try:
        with path.open("rb") as file:
            head = file.read(1024)
    except OSError as exc:
        raise SiteError(f"{path} cannot be read: {exc}") from exc
    if b"<graphml" in head:
        return read_graphml(path)
    if b"<osm" in head:
        return read_osm_xml(path)
    raise SiteError(f"{path} is not an OpenStreetMap file (expected {_FORMATS})")


def build_site(
    raw: OsmData,
    *,
    frame: LocalFrame,
    name: str,
    extra_places: tuple[Place, ...] = (),
    approximate: bool = False,
    description: str = "",
) -> Site:
    """Turn raw OSM data into a `Site` in the given local frame."""
    walk_graph = build_walk_graph(raw.graph, frame, source=raw.source)
    features = raw.features.to_crs("EPSG:4326") if len(raw.features) else raw.features
    local = gpd.GeoDataFrame(
        features.drop(columns="geometry"),
        geometry=[frame.geometry_to_local(g) for g in features.geometry],
        crs=None,
    )
    layers = build_area_layers(walk_graph, classify_features(local))
    if layers.walkable.is_empty or layers.walkable.area <= 0:
        raise SiteError(f"{raw.source}: the walkable area is empty")
    tagged = _places_from_tags(local, frame)
    overridden = {(p.kind, p.name) for p in extra_places}
    places = tuple(p for p in tagged if (p.kind, p.name) not in overridden) + extra_places
    return Site(
        name=name,
        source=raw.source,
        frame=frame,
        walk_graph=walk_graph,
        walkable_area=layers.walkable,
        buildings=layers.buildings,
        water=layers.water,
        context_areas=layers.context,
        places=places,
        approximate=approximate,
        description=description,
    )


def _frame_for(raw: OsmData) -> LocalFrame:
    lons = np.array([d["x"] for _, d in raw.graph.nodes(data=True)], dtype=float)
    lats = np.array([d["y"] for _, d in raw.graph.nodes(data=True)], dtype=float)
    if lons.size == 0:
        raise SiteError(f"{raw.source} holds no nodes")
    return LocalFrame.centred_on(
        float((lons.min() + lons.max()) / 2), float((lats.min() + lats.max()) / 2)
    )


def _load_bundled(name: str, folder: Path) -> Site:
    config = _read_toml(folder / "site.toml")
    site_table: dict[str, Any] = config.get("site", {})
    try:
        osm_file = folder / site_table["osm"]
        origin_lon, origin_lat = site_table["origin"]
    except (KeyError, ValueError) as exc:
        raise SiteError(
            f"{folder / 'site.toml'}: [site] needs 'osm' and 'origin' = [lon, lat]"
        ) from exc
    frame = LocalFrame.centred_on(float(origin_lon), float(origin_lat))
    raw = read_source(osm_file)
    places = load_places_file(folder / site_table.get("places", "places.toml"), frame)
    return build_site(
        raw,
        frame=frame,
        name=name,
        extra_places=places,
        approximate=bool(site_table.get("approximate", False)),
        description=str(site_table.get("description", "")),
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SiteError(f"cannot read {path}: {exc}") from exc


_STOP_MODES = ("tram", "trolleybus", "bus", "train")


def _places_from_tags(features: gpd.GeoDataFrame, frame: LocalFrame) -> list[Place]:
    """Transit stops and assembly points tagged in the OSM data (points, or areas by centroid)."""
    places: list[Place] = []
    seen: set[tuple[PlaceKind, str, int, int]] = set()
    for row in features.to_dict("records"):
        kind = _tagged_kind(row)
        name = tag(row, "name")
        if kind is None or not name:
            continue
        point = row["geometry"].representative_point()
        key = (kind, name, round(point.x), round(point.y))
        if key in seen:
            continue
        seen.add(key)
        lon, lat = frame.to_wgs84(float(point.x), float(point.y))
        display_name = str(row.get("name"))
        fields: dict[str, Any] = {}
        if kind is PlaceKind.TRANSIT_STOP:
            fields["stop_code"] = str(row["ref"]) if tag(row, "ref") else ""
            fields["modes"] = tuple(m for m in _STOP_MODES if tag(row, m) == "yes")
            display_name = f"{display_name} {fields['stop_code']}".strip()
        places.append(
            make_place(
                kind, name=display_name, lon=round(lon, 7), lat=round(lat, 7), frame=frame, **fields
            )
        )
    return places


def _tagged_kind(row: dict[str, Any]) -> PlaceKind | None:
    if tag(row, "emergency") == "assembly_point":
        return PlaceKind.ASSEMBLY_AREA
    if (
        tag(row, "public_transport") == "platform"
        or tag(row, "highway") == "bus_stop"
        or tag(row, "railway") == "tram_stop"
    ):
        return PlaceKind.TRANSIT_STOP
    return None
