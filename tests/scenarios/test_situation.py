"""Situations on the ground: the file checked key by key, counts resolved most specific first,
runs and rankings taken from them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from city_data import Site
from evac.errors import ScenarioError
from experiments.ranking.plans import movements, ranking_context, scenario_plans
from scenarios.scenario_file import LIBRARY, load_scenario
from scenarios.site_run import site_sectors
from scenarios.situation import (
    Situation,
    load_situation,
    parse_situation,
    sector_counts,
    with_situation,
)
from tests.evac.test_cli import assert_one_line_error, evac

EXAMPLE = LIBRARY / "situation_example.json"
# Six sectors in two stands; the scenario's planned crowd: 100 in each.
SECTORS = ["A", "B", "C", "D", "E", "F"]
STANDS = ["West", "West", "West", "East", "East", "East"]
SEATS = np.array([300.0, 600.0, 900.0, 200.0, 200.0, 200.0])
PLANNED = np.full(6, 100, dtype=np.int64)


def counts_under(counts: dict[str, int]) -> list[int]:
    situation = Situation(counts=tuple(counts.items()))
    resolved = sector_counts(
        situation, sectors=SECTORS, stands=STANDS, capacity=SEATS, planned=PLANNED,
        zones=["Park"],
    )  # fmt: skip
    return [int(c) for c in resolved]


def test_a_sector_then_its_stand_then_the_stadium_decide() -> None:
    # The West stand's 1,000 less sector A's 50 go to B and C by seats (2:3).
    assert counts_under({"West": 1000, "A": 50}) == [50, 380, 570, 100, 100, 100]
    # "stadium" fills whatever no sector or stand settled, by seats: here the East stand.
    assert counts_under({"stadium": 1300, "West": 1000, "A": 50}) == [50, 380, 570, 100, 100, 100]
    # Shares are whole people, the largest remainders rounded up (A's 166.7).
    assert counts_under({"stadium": 1600, "West": 1000}) == [167, 333, 500, 200, 200, 200]
    assert counts_under({"East": 0}) == [100, 100, 100, 0, 0, 0]  # an empty stand
    assert counts_under({"Park": 7}) == [100] * 6  # outside zones leave the stands as planned


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ({"Gate 9": 10}, "situation: 'Gate 9' is not a sector, stand, zone or 'stadium' here "
                         "(known: A, B, C, D, E, East, F, Park, West, stadium)"),
        ({"D": 201}, "counts['D'] is 201, more than its 200 seats"),
        ({"West": 100, "A": 150}, "counts['West'] is 100, but its sectors counted on their own "
                                  "hold 150 and the others have 1500 seats"),
        ({"East": 601}, "counts['East'] is 601, but its sectors counted on their own hold 0 and "
                        "the others have 600 seats"),
    ],
)  # fmt: skip
def test_counts_that_do_not_fit_the_seats_are_named(counts: dict[str, int], message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        counts_under(counts)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"counts": {"A": 5}, "when": "now"}, "unknown key 'when' (expected one of: counts"),
        ({"counts": {}}, "'counts' must be an object of place names and numbers of people"),
        ({"counts": {"A": -3}}, "counts['A'] must be a whole number of people from 0 to 200000"),
        ({"counts": {"A": 2.5}}, "counts['A'] must be a whole number"),
        ({"counts": {"A": True}}, "counts['A'] must be a whole number"),
        ({"counts": {" ": 3}}, "counts has an empty place name"),
        ({"counts": {"A": 3}, "observed_at": "yesterday"}, "observed_at must be an ISO 8601 time"),
        ({"counts": {"A": 3}, "source": 12}, "source must be text, got 12"),
        ([1, 2], "expected a JSON object with 'counts'"),
    ],
)  # fmt: skip
def test_situation_mistakes_name_the_key(document: object, message: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_situation(document, where="s.json")
    assert str(caught.value).startswith("s.json: ") and message in str(caught.value)


def test_a_file_that_is_not_json_is_named(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("counts: 5", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"s\.json is not valid JSON"):
        load_situation(path)


def test_the_shipped_example_fits_the_plzen_stands(plzen: Site) -> None:
    situation = load_situation(EXAMPLE)
    assert situation.observed_at == "2026-12-07T21:40:00+01:00"
    sectors = site_sectors(plzen)
    counts = sector_counts(
        situation, sectors=[s.name for s in sectors], stands=[s.stand for s in sectors],
        capacity=np.array([s.capacity for s in sectors], dtype=float),
        planned=np.zeros(len(sectors), dtype=np.int64),
        zones=[z.name for z in load_scenario("baseline_egress").site.zones],  # type: ignore[union-attr]
    )  # fmt: skip
    by_name = dict(zip([s.name for s in sectors], counts.tolist(), strict=True))
    assert sum(counts) == 3600 + 3300 + 1900 + 1600
    assert by_name["Sector M (away)"] == 650 and by_name["Sector L"] == 950
    assert all(by_name[s.name] <= s.capacity for s in sectors)


def test_a_run_starts_from_the_situation_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "now.json"
    counts = {"stadium": 120, "Sector A": 20, "Štruncovy sady": 30,
              "Streets south of the stadium": 0, "Tram stops Anglické nábřeží": 10}  # fmt: skip
    now = {"observed_at": "2026-12-07T21:40:00+01:00", "source": "test", "counts": counts}
    path.write_text(json.dumps(now), encoding="utf-8")
    out = tmp_path / "result"
    result = evac("run", "baseline_egress", "--out", str(out), "--situation", str(path),
                  "--set", "scenario.duration_s=30")  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["agents_total"] == 160
    assert summary["situation"] == now
    people = {name: o["people"] for name, o in summary["origins"].items()}
    assert people["Sector A"] == 20 and people["Štruncovy sady"] == 30
    assert sum(v for k, v in people.items() if k.startswith("Sector")) == 120
    # The emptied zone starts nobody, though the scenario's plan still names it.
    assert "Streets south of the stadium" not in people


def test_a_bad_situation_stops_the_command_with_one_line(tmp_path: Path) -> None:
    path = tmp_path / "now.json"
    path.write_text(json.dumps({"counts": {"North stand": 5000}}), encoding="utf-8")
    out = tmp_path / "result"
    assert_one_line_error(
        evac("run", "baseline_egress", "--out", str(out), "--situation", str(path)),
        "situation: counts['North stand'] is 5000, but its sectors counted on their own hold 0 "
        "and the others have 2100 seats",
    )
    assert not out.exists()
    assert_one_line_error(
        evac("rank", "bottleneck_1m", "--out", str(out), "--situation", str(EXAMPLE)),
        "a situation applies to site scenarios; 'Bottleneck 1 m' draws its own venue",
    )


def test_plans_naming_an_emptied_stand_still_screen() -> None:
    # The east stand has left; the hand-written plans that name it stay valid.
    situation = Situation(counts=(("East stand", 0),))
    scenario = load_scenario("baseline_egress")
    context = ranking_context(with_situation(scenario, situation))
    assert not any(o.name in {"Sector E", "Sector F", "Sector G", "Sector H"}
                   for o in context.origins)  # fmt: skip
    assert sum(o.count for o in context.origins) == 11_700 - 4 * 925 + 3_300
    for plan in scenario_plans(context):
        moved = movements(context, plan)
        assert sum(m.people for m in moved) == sum(o.count for o in context.origins)
