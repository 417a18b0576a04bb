"""Tag semantics: the walk filter, widths and area classes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from city_data.osm_tags import (
    DEFAULT_WIDTH_M,
    AreaClass,
    area_class,
    is_layered,
    is_walkable_way,
    parse_width_m,
    way_width_m,
)


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "residential"}, True),
        ({"highway": "trunk"}, True),
        ({"highway": "trunk", "foot": "no"}, False),
        ({"highway": "motorway"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "cycleway", "foot": "designated"}, True),
        ({"highway": "service", "access": "private"}, False),
        ({"highway": "service", "access": "private", "foot": "yes"}, True),
        ({"highway": "primary", "sidewalk": "separate"}, False),
        ({"highway": "pedestrian", "area": "yes"}, False),  # an area, not a line
        ({"building": "yes"}, False),
        ({"highway": "construction"}, False),
        ({"highway": ["footway", "path"]}, True),  # merged by osmnx
        ({"highway": "footway", "foot": float("nan")}, True),  # NaN from a data frame
    ],
)
def test_walk_filter(tags: dict[str, object], walkable: bool) -> None:
    assert is_walkable_way(tags) is walkable


@pytest.mark.parametrize(
    ("value", "metres"),
    [
        ("3", 3.0),
        ("3.5 m", 3.5),
        ("2,5", 2.5),
        (" 4 metres", 4.0),
        (7, 7.0),
        (["3", "5"], 3.0),
        ("wide", None),
        ("0.1", None),
        ("200", None),
        (None, None),
        (float("nan"), None),
    ],
)
def test_parse_width(value: object, metres: float | None) -> None:
    assert parse_width_m(value) == metres


@given(st.floats(min_value=0.5, max_value=60.0, allow_nan=False))
def test_parse_width_reads_back_any_plain_number(width: float) -> None:
    parsed = parse_width_m(f"{width:.3f}")
    assert parsed is not None and math.isclose(parsed, round(width, 3))


def test_way_width_prefers_tag_then_estimate_then_class_default() -> None:
    assert way_width_m({"highway": "footway", "width": "4"}) == 4.0
    assert way_width_m({"highway": "footway", "est_width": "3"}) == 3.0
    assert way_width_m({"highway": "residential"}) == DEFAULT_WIDTH_M["residential"]
    assert way_width_m({"highway": "footway", "footway": "crossing"}) == 4.0


def test_layers() -> None:
    assert is_layered({"bridge": "yes"})
    assert is_layered({"tunnel": "yes"})
    assert is_layered({"layer": "-1"})
    assert not is_layered({"bridge": "no", "layer": "0"})


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"building": "yes"}, AreaClass.BUILDING),
        ({"natural": "water"}, AreaClass.WATER),
        ({"waterway": "riverbank"}, AreaClass.WATER),
        ({"leisure": "park"}, AreaClass.OPEN),
        ({"place": "square"}, AreaClass.OPEN),
        ({"highway": "pedestrian", "area": "yes"}, AreaClass.OPEN),
        ({"leisure": "bleachers"}, AreaClass.OPEN),
        ({"man_made": "bridge"}, AreaClass.BRIDGE),
        ({"landuse": "industrial"}, AreaClass.CONTEXT),
        ({"amenity": "bench"}, None),
    ],
)
def test_area_classes(tags: dict[str, str], expected: AreaClass | None) -> None:
    assert area_class(tags) == expected
