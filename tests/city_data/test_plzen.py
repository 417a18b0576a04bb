"""The bundled Plzeň site: what planners rely on, checked against the facts in shared/site."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import pytest
from shapely.geometry import Point

from city_data import Gate, PlaceKind, Sector, Site
from city_data.plzen import build as plzen_build
from tests.conftest import REPO_ROOT, SHARED_SITE

# Green Guide: 82 persons per metre of level exit width per minute; 11,700 seats in 8 minutes.
GREEN_GUIDE_WIDTH_M = 11_700 / (82 * 8)


def test_places_meet_the_brief(plzen: Site) -> None:
    gates = [p for p in plzen.places_of(PlaceKind.GATE) if isinstance(p, Gate)]
    sectors = [p for p in plzen.places_of(PlaceKind.SECTOR) if isinstance(p, Sector)]
    assert len(gates) >= 8
    assert sum(s.capacity for s in sectors) == 11_700
    assert len(plzen.places_of(PlaceKind.ASSEMBLY_AREA)) >= 3
    assert len(plzen.places_of(PlaceKind.TRANSIT_STOP)) >= 5
    assert len(plzen.places_of(PlaceKind.HAZARD_SOURCE)) >= 1
    assert len(plzen.places_of(PlaceKind.SENSOR)) >= 1
    total_width = sum(g.width for g in gates)
    assert GREEN_GUIDE_WIDTH_M <= total_width <= 1.3 * GREEN_GUIDE_WIDTH_M
    assert plzen.approximate


def test_sector_footprints_hold_their_seats(plzen: Site) -> None:
    """Every sector has room for its seated capacity at a plausible seat area (0.4-1.2 m²/seat)."""
    for sector in plzen.places_of(PlaceKind.SECTOR):
        assert isinstance(sector, Sector) and sector.footprint is not None
        assert 0.4 <= sector.footprint.area / sector.capacity <= 1.2
        assert plzen.walkable_area.buffer(0.01).contains(sector.footprint)


def test_every_gate_reaches_every_assembly_area(plzen: Site) -> None:
    for gate in plzen.places_of(PlaceKind.GATE):
        for area in plzen.places_of(PlaceKind.ASSEMBLY_AREA):
            distance = plzen.walking_distance((gate.x, gate.y), (area.x, area.y))
            assert math.isfinite(distance), f"{gate.name} cannot reach {area.name}"
            straight = math.dist((gate.x, gate.y), (area.x, area.y))
            assert straight <= distance + 60 <= 3 * straight + 400


def test_walk_from_stadium_to_main_station_tram_stop(plzen: Site) -> None:
    """shared/site: the main railway station is about 550-600 m south of the stadium."""
    stop = next(
        p for p in plzen.places_of(PlaceKind.TRANSIT_STOP) if p.name == "Hlavní nádraží 53408/3"
    )
    distance = plzen.walking_distance((0.0, 0.0), (stop.x, stop.y))
    assert 500 <= distance <= 1200


def test_gtfs_stops_keep_their_coordinates(plzen: Site) -> None:
    stop = next(
        p for p in plzen.places_of(PlaceKind.TRANSIT_STOP) if p.name == "Na Rychtářce 57126/2"
    )
    assert stop.lat == pytest.approx(49.74902, abs=2e-6)
    assert stop.lon == pytest.approx(13.38252, abs=2e-6)


def test_named_features_exist(plzen: Site) -> None:
    names: set[str] = set()
    for _, _, data in plzen.walk_graph.edges(data=True):
        value = data.get("name")
        names.update(value if isinstance(value, list) else [str(value)])
    for expected in (
        "Pivovarská lávka",
        "Lávka do Luční",
        "Wilsonův most",
        "Tyršova underpass",
        "Tyršova sidewalk (park side)",
        "Anglické nábřeží",
        "Stadium concourse",
    ):
        assert expected in names
    bridges = [d for _, _, d in plzen.walk_graph.edges(data=True) if d.get("bridge") == "yes"]
    assert len(bridges) >= 3
    for _, _, data in plzen.walk_graph.edges(data=True):
        if data.get("bridge") == "yes":  # bridges cross water, so they are over it in places
            assert data["geometry"].intersects(plzen.water)


def test_rivers_are_not_walkable_except_on_bridges(plzen: Site) -> None:
    overlap = plzen.walkable_area.intersection(plzen.water).area
    bridge_deck = sum(
        d["geometry"].buffer(d["width"] / 2).intersection(plzen.water).area
        for _, _, d in plzen.walk_graph.edges(data=True)
        if d.get("layered")
    )
    assert overlap <= bridge_deck + 1.0
    assert plzen.water.area > 50_000  # Radbuza, Mže and Berounka


def test_extent_covers_the_brief(plzen: Site) -> None:
    x0, y0, x1, y1 = plzen.walkable_area.bounds
    assert x1 - x0 >= 1600 and y1 - y0 >= 1200
    square = plzen.place("náměstí Republiky")
    assert square.footprint is not None
    assert plzen.walkable_area.contains(Point(square.x, square.y))
    # 139 m x 193 m less the cathedral (shared/site); the square is walkable all over.
    assert square.footprint.area == pytest.approx(139 * 193, rel=0.01)
    assert plzen.walkable_area.intersection(square.footprint).area >= 0.9 * square.footprint.area


def test_network_is_mostly_one_piece(plzen: Site) -> None:
    largest = max(nx.connected_components(plzen.walk_graph), key=len)
    assert len(largest) / plzen.walk_graph.number_of_nodes() >= 0.9


def test_raster_of_the_site(plzen: Site) -> None:
    grid = plzen.rasterise(resolution=1.0)
    assert grid.walkable.sum() == pytest.approx(plzen.walkable_area.area, rel=0.03)
    row, column = grid.cell_of(-76.0, 0.0)  # on the concourse: 8 m wide
    assert grid.walkable[row, column]
    assert 2.0 <= grid.distance_to_wall[row, column] <= 5.0


@pytest.mark.skipif(not SHARED_SITE.exists(), reason="shared/site is not beside the repository")
def test_bundled_files_are_what_the_builder_makes(tmp_path: Path) -> None:
    """The committed plzen.osm and places.toml come from shared/site through the builder."""
    plzen_build.build(SHARED_SITE, tmp_path)
    folder = REPO_ROOT / "city_data" / "plzen"
    for name in ("plzen.osm", "places.toml"):
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes(), f"{name} is stale"


def test_people_places_lie_in_one_walkable_piece(plzen: Site) -> None:
    """Sectors, gates, assembly areas and stops lie in one piece of the walkable area."""
    main_piece = max(plzen.walkable_area.geoms, key=lambda p: p.area)
    assert main_piece.area >= 0.95 * plzen.walkable_area.area
    for place in plzen.places:
        if place.kind in {PlaceKind.SECTOR, PlaceKind.GATE, PlaceKind.ASSEMBLY_AREA,
                          PlaceKind.TRANSIT_STOP}:  # fmt: skip
            assert main_piece.buffer(1.0).contains(Point(place.x, place.y)), place.name
