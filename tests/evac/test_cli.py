"""The `evac` command line, run as a planner runs it: a real process, real files, loopback HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

PLZEN_OSM = REPO_ROOT / "city_data" / "plzen" / "plzen.osm"


def evac(
    *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "evac", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert fragment in lines[0]


def test_city_info_json_for_plzen() -> None:
    result = evac("city", "info", "--site", "plzen", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    for key in ("crs", "walkable_area_m2", "walk_graph_nodes", "walk_graph_edges", "places"):
        assert key in summary
    assert "EPSG:32633" in summary["crs"]
    assert summary["walkable_area_m2"] > 100_000
    kinds = [place["kind"] for place in summary["places"]]
    assert kinds.count("gate") >= 8
    for place in summary["places"]:
        assert {"name", "kind", "lat", "lon"} <= set(place)
        assert 49.73 < place["lat"] < 49.77 and 13.36 < place["lon"] < 13.41


def test_city_info_text() -> None:
    result = evac("city", "info")
    assert result.returncode == 0, result.stderr
    assert "APPROXIMATE" in result.stdout
    assert "walkable area" in result.stdout


@pytest.mark.slow
def test_city_info_for_a_real_city(helsinki_pbf: Path) -> None:
    result = evac("city", "info", "--site", str(helsinki_pbf), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["walkable_area_m2"] > 100_000
    assert summary["walk_graph_largest_component_share"] >= 0.9


def test_city_map_writes_an_image(tmp_path: Path) -> None:
    out = tmp_path / "maps" / "plzen.png"
    result = evac("city", "map", "--site", "plzen", "--out", str(out), "--dpi", "40")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [
        ("missing", "no such site or file"),
        ("not_osm", "is not an OpenStreetMap XML file"),
        ("no_walkable_ways", "holds no walkable ways"),
        ("empty_area", "holds no OSM nodes or ways"),
        ("bad_places", "key 'capacity' must be a positive integer"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, setup: str, fragment: str) -> None:
    source = tmp_path / "input.osm"
    args = ["city", "info", "--site", str(source)]
    if setup == "not_osm":
        source.write_text("this is not a map\n", encoding="utf-8")
    elif setup == "no_walkable_ways":
        source.write_text(
            "<?xml version='1.0'?><osm version='0.6'>"
            "<node id='1' lat='49.75' lon='13.38'/><node id='2' lat='49.751' lon='13.381'/>"
            "<way id='5'><nd ref='1'/><nd ref='2'/><tag k='waterway' v='river'/></way></osm>",
            encoding="utf-8",
        )
    elif setup == "empty_area":
        source.write_text(
            "<?xml version='1.0'?><osm version='0.6'><bounds minlat='49.7' "
            "minlon='13.3' maxlat='49.7' maxlon='13.3'/></osm>",
            encoding="utf-8",
        )
    elif setup == "bad_places":
        places = tmp_path / "places.toml"
        places.write_text(
            '[[sector]]\nname = "A"\ncapacity = 0\nlon = 13.38\nlat = 49.75\n', encoding="utf-8"
        )
        args = ["city", "info", "--site", str(PLZEN_OSM), "--places", str(places)]
    assert_one_line_error(evac(*args), fragment)


def test_unknown_subcommand_is_one_line() -> None:
    assert_one_line_error(evac("city", "teleport"), "invalid choice")


class _OverpassStandIn(BaseHTTPRequestHandler):
    """A loopback HTTP endpoint that answers every Overpass query with the bundled extract."""

    requests_seen = 0

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = self.rfile.read(length)
        type(self).requests_seen += 1
        assert b"interpreter" in self.path.encode() and b"data=" in body
        content = PLZEN_OSM.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/osm3s+xml")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def overpass_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OverpassStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_downloads_then_serves_from_cache(tmp_path: Path, overpass_server: str) -> None:
    out = tmp_path / "area.osm"
    cache = tmp_path / "cache"
    args = [
        "city",
        "fetch",
        "--point",
        "49.75003,13.38525",
        "--dist",
        "800",
        "--out",
        str(out),
        "--endpoint",
        overpass_server,
        "--cache-dir",
        str(cache),
    ]
    before = _OverpassStandIn.requests_seen
    result = evac(*args)
    assert result.returncode == 0, result.stderr
    assert _OverpassStandIn.requests_seen == before + 1
    assert out.read_bytes() == PLZEN_OSM.read_bytes()
    out.unlink()
    # Again: answered from the cache, without asking the server.
    assert evac(*args).returncode == 0
    assert _OverpassStandIn.requests_seen == before + 1
    assert out.exists()
    # And the download loads like any extract.
    assert evac("city", "info", "--site", str(out), "--json").returncode == 0


def test_fetch_without_network_fails_fast(tmp_path: Path) -> None:
    # Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
    result = evac(
        "city",
        "fetch",
        "--point",
        "49.75,13.385",
        "--dist",
        "500",
        "--out",
        str(tmp_path / "x.osm"),
        "--endpoint",
        "http://127.0.0.1:9/api",
        "--cache-dir",
        str(tmp_path / "cache"),
    )
    assert_one_line_error(result, "cannot reach the Overpass API")
    assert not (tmp_path / "x.osm").exists()


@pytest.mark.parametrize(
    ("point", "dist", "fragment"),
    [
        ("49.75", "500", "--point must be LAT,LON"),
        ("95,13", "500", "not a latitude,longitude"),
        ("49.75,13.38", "-5", "--dist must be between"),
    ],
)
def test_fetch_bad_arguments(tmp_path: Path, point: str, dist: str, fragment: str) -> None:
    result = evac(
        "city",
        "fetch",
        "--point",
        point,
        "--dist",
        dist,
        "--out",
        str(tmp_path / "x.osm"),
        "--endpoint",
        "http://127.0.0.1:9/api",
    )
    assert_one_line_error(result, fragment)
