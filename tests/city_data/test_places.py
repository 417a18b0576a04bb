"""Places files: valid entries load; wrong ones fail naming the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from city_data.frame import LocalFrame
from city_data.places import Gate, PlaceKind, Sector, load_places_file
from evac.errors import SiteError

FRAME = LocalFrame.centred_on(13.38525, 49.75003)
GOOD = """
[[sector]]
name = "Sector A"
capacity = 900
lon = 13.3845
lat = 49.7500
outline = [[13.3844, 49.7499], [13.3846, 49.7499], [13.3846, 49.7501], [13.3844, 49.7501]]

[[gate]]
name = "Gate 1"
width = 2.4
lon = 13.3841
lat = 49.7497
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "places.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file(tmp_path: Path) -> None:
    sector, gate = load_places_file(write(tmp_path, GOOD), FRAME)
    assert isinstance(sector, Sector) and sector.capacity == 900
    assert sector.kind is PlaceKind.SECTOR
    assert sector.footprint is not None and 200 < sector.footprint.area < 400  # ~14.4 m x 22 m
    assert isinstance(gate, Gate) and gate.width == 2.4
    assert gate.x == pytest.approx(FRAME.to_local(13.3841, 49.7497)[0], abs=0.01)
    assert gate.as_dict()["kind"] == "gate"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[sector]]\nname = "A"\ncapacity = -3\nlon = 13.38\nlat = 49.75\n',
            "'capacity' must be a positive integer",
        ),
        (
            '[[gate]]\nname = "G"\nwidth = "wide"\nlon = 13.38\nlat = 49.75\n',
            "'width' must be a width in metres",
        ),
        ('[[gate]]\nname = "G"\nwidth = 2\nlon = 13.38\nlat = 95\n', "'lat' must be degrees"),
        ('[[stage]]\nname = "S"\nlon = 13.38\nlat = 49.75\n', "unknown kind 'stage'"),
        (
            '[[gate]]\nname = "G"\nwidth = 2\nwidht = 3\nlon = 13.38\nlat = 49.75\n',
            "unknown key(s) ['widht']",
        ),
        ("[[gate]]\nwidth = 2\nlon = 13.38\nlat = 49.75\n", "'name' must be a non-empty string"),
        (
            '[[sector]]\nname = "A"\ncapacity = 5\nlon = 13.38\nlat = 49.75\noutline = [[1, 2]]\n',
            "'outline' must be a list",
        ),
        ("[[gate]\n", "not valid TOML"),
    ],
)
def test_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SiteError) as caught:
        load_places_file(write(tmp_path, text), FRAME)
    assert message in str(caught.value)


def test_duplicate_names_rejected(tmp_path: Path) -> None:
    text = GOOD + '\n[[gate]]\nname = "Gate 1"\nwidth = 2.0\nlon = 13.384\nlat = 49.749\n'
    with pytest.raises(SiteError, match="two gate places are named 'Gate 1'"):
        load_places_file(write(tmp_path, text), FRAME)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match="places file not found"):
        load_places_file(tmp_path / "nope.toml", FRAME)
