"""Scenario files: shipped ones load; mistakes fail naming the key, the value, the expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from evac.errors import ScenarioError
from scenarios.scenario_file import LIBRARY, load_scenario

SMALL = """
[scenario]
name = "small"
duration_s = 60
seed = 4

[venue]
walkable_area = "POLYGON ((0 0, 10 0, 10 4, 0 4, 0 0))"
exits = [{type = "Polygon", coordinates = [[[9.8, 0], [10, 0], [10, 4], [9.8, 4], [9.8, 0]]]}]

[[agents]]
area = "POLYGON ((0.5 0.5, 4 0.5, 4 3.5, 0.5 3.5, 0.5 0.5))"
count = 20

[[measurement_lines]]
name = "middle"
line = "LINESTRING (5 0, 5 4)"
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_scenarios_load(path: Path) -> None:
    scenario = load_scenario(path.stem)
    assert (scenario.exits and scenario.agents) or (
        scenario.site is not None and (scenario.site.stadium_people or scenario.site.zones)
    )
    assert scenario.description


def test_wkt_and_geojson_and_overrides(tmp_path: Path) -> None:
    scenario = load_scenario(
        write(tmp_path, SMALL), overrides=["agents.0.count=25", "scenario.seed=9"]
    )
    assert scenario.agents[0].count == 25
    assert scenario.seed == 9
    assert scenario.exits[0].area == pytest.approx(0.8)
    assert set(scenario.measurement_lines) == {"middle"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("count = 20", "cuont = 20"), "agents[0]: unknown key 'cuont'"),
        (("duration_s = 60", "duration_s = -60"),
         "scenario.duration_s must be a number in 1..86400, got -60"),
        (("duration_s = 60", 'duration_s = "60 s"'), "scenario.duration_s must be a number"),
        (("count = 20", "count = 0"), "agents[0].count must be an integer 1..200000, got 0"),
        (("POLYGON ((0 0, 10 0, 10 4, 0 4, 0 0))", "POLYGON ((0 0, 10 4, 10 0, 0 4, 0 0))"),
         "venue.walkable_area is not a valid polygon"),
        (("LINESTRING (5 0, 5 4)", "LINESTRING (5 0, 5 4, 6 4)"),
         "must be a LINESTRING of two points"),
        (("[venue]", "[venu]"), "unknown key 'venu'"),
        (("seed = 4", 'seed = 4\nrouting = "dynamic"'),
         "scenario.routing must be one of static, crowd_aware; got 'dynamic'"),
    ],
)  # fmt: skip
def test_mistakes_name_the_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, SMALL.replace(*change)))
    assert message in str(caught.value)


def test_routing_is_static_unless_asked_and_crowd_aware_only_on_drawn_venues(
    tmp_path: Path,
) -> None:
    assert load_scenario(write(tmp_path, SMALL)).routing == "static"
    path = write(tmp_path, SMALL)
    assert load_scenario(path, overrides=["scenario.routing=crowd_aware"]).routing == "crowd_aware"
    with pytest.raises(ScenarioError, match='routing = "crowd_aware" is for drawn venues'):
        load_scenario("baseline_egress", overrides=["scenario.routing=crowd_aware"])


def test_bad_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, SMALL)
    with pytest.raises(ScenarioError, match=r"no key 'scenario\.sed'"):
        load_scenario(path, overrides=["scenario.sed.x=1"])
    with pytest.raises(ScenarioError, match="expects key=value"):
        load_scenario(path, overrides=["seed"])
    with pytest.raises(ScenarioError, match="not an index"):
        load_scenario(path, overrides=["agents.3.count=5"])


def test_unknown_scenario_name() -> None:
    with pytest.raises(ScenarioError, match="no scenario file or shipped scenario named 'nope'"):
        load_scenario("nope")
