"""The site's local metric frame: UTM of the site's zone, shifted to a local origin."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TypeVar, overload

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from evac.errors import SiteError

GeometryT = TypeVar("GeometryT", bound=BaseGeometry)
FloatArray = npt.NDArray[np.float64]


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS84 / UTM zone that holds a point."""
    if not (-180.0 <= lon <= 180.0 and -80.0 <= lat <= 84.0):
        raise SiteError(
            f"point ({lon}, {lat}) is outside the UTM range (lon -180..180, lat -80..84)"
        )
    zone = min(math.floor((lon + 180.0) / 6.0) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


@dataclass(frozen=True)
class LocalFrame:
    """Metres east (x) and north (y) of a local origin, in the UTM zone of the site.

    Engine coordinates are small numbers near zero, which keeps float32 kernels and printed values
    readable; WGS84 appears only at the edges (files, maps, messages).
    """

    epsg: int
    origin_easting: float
    origin_northing: float
    _to_utm: Transformer = field(init=False, repr=False, compare=False)
    _to_wgs: Transformer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        utm = CRS.from_epsg(self.epsg)
        object.__setattr__(self, "_to_utm", Transformer.from_crs(4326, utm, always_xy=True))
        object.__setattr__(self, "_to_wgs", Transformer.from_crs(utm, 4326, always_xy=True))

    @classmethod
    def centred_on(cls, lon: float, lat: float) -> LocalFrame:
        """The frame whose origin is the given point (rounded to the metre)."""
        epsg = utm_epsg(lon, lat)
        easting, northing = Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)
        return cls(epsg=epsg, origin_easting=round(easting), origin_northing=round(northing))

    @property
    def crs(self) -> str:
        """The frame as a CRS string: UTM plus the offset of the origin."""
        return (
            f"EPSG:{self.epsg} shifted by ({-self.origin_easting:.0f} m, "
            f"{-self.origin_northing:.0f} m)"
        )

    @overload
    def to_local(self, lon: float, lat: float) -> tuple[float, float]: ...
    @overload
    def to_local(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]: ...
    def to_local(
        self, lon: float | FloatArray, lat: float | FloatArray
    ) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
        """Longitude/latitude (degrees) to local x/y (metres)."""
        easting, northing = self._to_utm.transform(lon, lat)
        return easting - self.origin_easting, northing - self.origin_northing

    @overload
    def to_wgs84(self, x: float, y: float) -> tuple[float, float]: ...
    @overload
    def to_wgs84(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]: ...
    def to_wgs84(
        self, x: float | FloatArray, y: float | FloatArray
    ) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
        """Local x/y (metres) to longitude/latitude (degrees)."""
        lon, lat = self._to_wgs.transform(
            np.add(x, self.origin_easting), np.add(y, self.origin_northing)
        )
        if np.ndim(lon) == 0:
            return float(lon), float(lat)
        return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)

    def geometry_to_local(self, geometry: GeometryT) -> GeometryT:
        """A WGS84 (lon, lat) geometry in local metres."""
        return shapely.transform(geometry, self._lonlat_array_to_local)

    def geometry_to_wgs84(self, geometry: GeometryT) -> GeometryT:
        """A local-metre geometry in WGS84 (lon, lat)."""
        return shapely.transform(geometry, self._local_array_to_lonlat)

    def _lonlat_array_to_local(self, coords: FloatArray) -> FloatArray:
        x, y = self.to_local(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def _local_array_to_lonlat(self, coords: FloatArray) -> FloatArray:
        lon, lat = self.to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])
