"""The city layer: OpenStreetMap data (bundled, a user's extract, downloaded) as a `Site`."""

from city_data.frame import LocalFrame
from city_data.load import BUNDLED_SITES, load_site
from city_data.places import (
    AssemblyArea,
    Gate,
    HazardSource,
    Place,
    PlaceKind,
    Sector,
    Sensor,
    TransitStop,
)
from city_data.raster import WalkableGrid, rasterise
from city_data.site import Site

__all__ = [
    "BUNDLED_SITES",
    "AssemblyArea",
    "Gate",
    "HazardSource",
    "LocalFrame",
    "Place",
    "PlaceKind",
    "Sector",
    "Sensor",
    "Site",
    "TransitStop",
    "WalkableGrid",
    "load_site",
    "rasterise",
]
