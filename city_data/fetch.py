"""Downloading an OSM extract around a point from the Overpass API (osmnx's endpoint and cache)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import osmnx as ox
import requests

from city_data.frame import LocalFrame
from evac.errors import NetworkUnavailableError, SiteError

# Everything `load_site` reads: walkable ways, the areas shaping the walkable area, tagged places.
_SELECTORS = (
    'way["highway"]',
    'way["building"]',
    'relation["building"]',
    'way["natural"="water"]',
    'relation["natural"="water"]',
    'way["waterway"]',
    'relation["waterway"="riverbank"]',
    'way["landuse"]',
    'relation["landuse"]',
    'way["leisure"]',
    'relation["leisure"]',
    'way["place"="square"]',
    'way["amenity"="parking"]',
    'way["man_made"="bridge"]',
    'relation["man_made"="bridge"]',
    'way["public_transport"="platform"]',
    'node["public_transport"="platform"]',
    'node["highway"="bus_stop"]',
    'node["railway"="tram_stop"]',
    'node["emergency"="assembly_point"]',
)
_CONNECT_TIMEOUT_S = 5.0
_MAX_DIST_M = 10_000.0


def bounding_box(lat: float, lon: float, dist_m: float) -> tuple[float, float, float, float]:
    """(south, west, north, east) in degrees of the square of half-size dist_m around a point."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise SiteError(f"--point {lat},{lon} is not a latitude,longitude pair")
    if not (0 < dist_m <= _MAX_DIST_M):
        raise SiteError(f"--dist must be between 0 and {_MAX_DIST_M:.0f} m, got {dist_m}")
    frame = LocalFrame.centred_on(lon, lat)
    west, south = frame.to_wgs84(-dist_m, -dist_m)
    east, north = frame.to_wgs84(dist_m, dist_m)
    return south, west, north, east


def overpass_query(bbox: tuple[float, float, float, float]) -> str:
    """The Overpass QL query for one bounding box, returning OSM XML with all referenced nodes."""
    box = ",".join(f"{value:.7f}" for value in bbox)
    body = "".join(f"{selector}({box});" for selector in _SELECTORS)
    return f"[out:xml][timeout:{int(ox.settings.requests_timeout)}];({body});(._;>;);out body;"


def fetch_osm(
    *,
    lat: float,
    lon: float,
    dist_m: float,
    out: Path,
    endpoint: str | None = None,
    cache_dir: Path | None = None,
) -> Path:
    """Download the OSM XML around a point to `out` (an .osm file), through a cache.

    The endpoint and cache folder default to osmnx's settings (`overpass_url`, `cache_folder`).
    A cached answer is used without any network access; without a network and without a cached
    answer this fails at once with `NetworkUnavailableError`.
    """
    if not out.name.endswith(".osm"):
        raise SiteError(f"--out must name an .osm file, got {out}")
    query = overpass_query(bounding_box(lat, lon, dist_m))
    url = (endpoint or str(ox.settings.overpass_url)).rstrip("/") + "/interpreter"
    cache = Path(cache_dir or ox.settings.cache_folder) / "evac-overpass"
    cached = cache / (hashlib.sha256(f"{url}\n{query}".encode()).hexdigest() + ".osm")
    if cached.exists():
        content = cached.read_bytes()
    else:
        content = _download(url, query)
        cache.mkdir(parents=True, exist_ok=True)
        _write_atomically(cached, content)
    out.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(out, content)
    return out


def _download(url: str, query: str) -> bytes:
    try:
        response = requests.post(
            url,
            data={"data": query},
            headers={"User-Agent": str(ox.settings.http_user_agent)},
            timeout=(_CONNECT_TIMEOUT_S, float(ox.settings.requests_timeout)),
        )
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise NetworkUnavailableError(
            f"cannot reach the Overpass API at {url} (no network?); "
            "load a local extract instead: --site PATH.osm or PATH.osm.pbf"
        ) from exc
    if response.status_code != 200:
        raise SiteError(f"the Overpass API at {url} answered HTTP {response.status_code}")
    if b"<osm" not in response.content[:4096]:
        raise SiteError(f"the Overpass API at {url} did not answer with OSM XML")
    if b"<way" not in response.content:
        raise SiteError("the Overpass API found no ways in that area (an empty area?)")
    return response.content


def _write_atomically(path: Path, content: bytes) -> None:
    partial = path.with_name(path.name + f".part{os.getpid()}")
    partial.write_bytes(content)
    partial.replace(path)
