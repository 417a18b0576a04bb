"""The local metric frame: UTM zone choice and exact round trips."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import LineString

from city_data.frame import LocalFrame, utm_epsg
from evac.errors import SiteError


def test_utm_zone_of_plzen_and_helsinki() -> None:
    assert utm_epsg(13.38525, 49.75003) == 32633
    assert utm_epsg(24.94, 60.17) == 32635
    assert utm_epsg(-58.4, -34.6) == 32721  # Buenos Aires: southern hemisphere


def test_utm_zone_rejects_points_outside_utm() -> None:
    with pytest.raises(SiteError, match="outside the UTM range"):
        utm_epsg(13.0, 85.0)


def test_origin_maps_to_zero() -> None:
    frame = LocalFrame.centred_on(13.38525, 49.75003)
    x, y = frame.to_local(13.38525, 49.75003)
    assert abs(x) < 0.6 and abs(y) < 0.6  # origin is rounded to the metre


def test_known_distance_matches_geodesic() -> None:
    """Stadium to Hlavní nádraží tram stop: ~543 m on the ground (Vincenty on WGS84)."""
    from pyproj import Geod

    frame = LocalFrame.centred_on(13.38525, 49.75003)
    ax, ay = frame.to_local(13.38525, 49.75003)
    bx, by = frame.to_local(13.38601, 49.74517)
    _, _, geodesic = Geod(ellps="WGS84").inv(13.38525, 49.75003, 13.38601, 49.74517)
    # UTM scale factor near the central meridian of zone 33 (15°E) is ~0.9997.
    assert math.hypot(bx - ax, by - ay) == pytest.approx(geodesic, rel=1e-3)


@given(
    dx=st.floats(min_value=-5000, max_value=5000),
    dy=st.floats(min_value=-5000, max_value=5000),
)
def test_round_trip_is_millimetre_exact(dx: float, dy: float) -> None:
    frame = LocalFrame.centred_on(13.38525, 49.75003)
    lon, lat = frame.to_wgs84(dx, dy)
    x, y = frame.to_local(lon, lat)
    assert x == pytest.approx(dx, abs=1e-3)
    assert y == pytest.approx(dy, abs=1e-3)


def test_arrays_and_geometries() -> None:
    frame = LocalFrame.centred_on(13.38525, 49.75003)
    xs, ys = np.array([0.0, 100.0]), np.array([0.0, -50.0])
    lons, lats = frame.to_wgs84(xs, ys)
    assert lons.shape == (2,) and lats.shape == (2,)
    line = LineString(zip(xs, ys, strict=True))
    back = frame.geometry_to_local(frame.geometry_to_wgs84(line))
    assert back.length == pytest.approx(line.length, abs=1e-3)
