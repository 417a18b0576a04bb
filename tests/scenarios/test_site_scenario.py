"""Scenarios on the Plzeň site: the shipped files, mistakes named by key, a small real run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from evac.errors import ScenarioError
from scenarios.scenario_file import LIBRARY, load_scenario
from tests.evac.test_cli import assert_one_line_error, evac

BASELINE = (LIBRARY / "baseline_egress.toml").read_text(encoding="utf-8")


def run_small_match_day(
    scenario: str, out: Path, *, stadium: int, park: int, streets: int, stops: int,
    duration_s: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """`evac run` with the match-day crowd scaled down (the baseline's three outside zones)."""
    counts: dict[str, float] = {"population.stadium": stadium, "population.zones.0.count": park,
              "population.zones.1.count": streets, "population.zones.2.count": stops}  # fmt: skip
    if duration_s is not None:
        counts["scenario.duration_s"] = duration_s
    overrides = [part for key, value in counts.items() for part in ("--set", f"{key}={value}")]
    result = evac("run", scenario, "--out", str(out), *overrides)
    assert result.returncode == 0, result.stderr
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return summary


def test_the_baseline_puts_fifteen_thousand_on_the_map() -> None:
    scenario = load_scenario("baseline_egress")
    assert scenario.site is not None
    assert scenario.site.stadium_people == 11_700
    assert sum(zone.count for zone in scenario.site.zones) == 3_300


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("stadium = 11700", "stadum = 11700"), "population: unknown key 'stadum'"),
        (("count = 1800", "count = -5"), "population.zones[0].count must be an integer"),
        (("bounds = [-650, -680, 300, 460]", "bounds = [300, -680, -650, 460]"),
         "site.bounds must be [x_min, y_min, x_max, y_max]"),
        (("adults = 0.85", "adults = 0.95"), "population.demography: the shares must add up"),
        (("median_s = 60,", 'median_s = "1 min",'),
         "population.stadium_pre_movement.median_s must be a number"),
        (('from = "stadium"', 'form = "stadium"'), "plan[0]: unknown key 'form'"),
        (("resolution = 0.5", "resolution = 5"), "site.resolution must be a number in 0.1..2 m"),
    ],
)  # fmt: skip
def test_site_mistakes_name_the_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(BASELINE.replace(*change), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(str(path))
    assert message in str(caught.value)


def test_names_unknown_to_the_site_fail_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(BASELINE.replace('to = "Hlavní nádraží forecourt"', 'to = "Main station"'))
    out = tmp_path / "result"
    assert_one_line_error(
        evac("run", str(path), "--out", str(out)), "plan[1].to: no destination named 'Main station'"
    )
    assert not out.exists() and not (tmp_path / "result.partial").exists()


def test_a_small_match_day_leaves_by_the_gates_and_arrives(tmp_path: Path) -> None:
    out = tmp_path / "result"
    summary = run_small_match_day(
        "baseline_egress", out, stadium=480, park=60, streets=30, stops=10, duration_s=1800
    )
    assert summary["agents_total"] == 580
    assert summary["evacuated"] == 580  # everyone reached a destination
    gates = {k: v for k, v in summary["flows"].items() if k.startswith("Gate")}
    assert len(gates) == 8
    # Everyone in the stands left by a gate, outward, and nobody walked back in.
    assert sum(v["forward"] for v in gates.values()) == 480
    assert sum(v["backward"] for v in gates.values()) == 0
    assert sum(v["arrived"] for v in summary["destinations"].values()) == 580
    station = summary["destinations"]["Hlavní nádraží forecourt"]
    assert station["arrived"] >= 30 + 480 * 1000 // 11_700  # streets south + the south stand
    assert 0 < station["t50_s"] <= station["t95_s"] <= station["t100_s"]
    assert summary["person_seconds_above_4_per_m2"] >= 0.0
    origins = summary["origins"]
    assert sum(o["people"] for o in origins.values()) == 580 and len(origins) == 12 + 3
    assert all(o["arrived"] == o["people"] and o["t100_s"] >= o["t95_s"] for o in origins.values())
    spots = summary["density_hot_spots"]
    seconds = [spot["person_seconds_above_4_per_m2"] for spot in spots]
    assert seconds == sorted(seconds, reverse=True)
    assert (out / "density_map.png").stat().st_size > 10_000
    # No hazard in the baseline: its metrics are there, and zero.
    assert summary["exposed_above_aegl2"] == summary["casualties"] == 0
    assert summary["expected_fatalities"] == 0.0
    assert np.isfinite(summary["max_density_per_m2"])


def test_a_closed_bridge_carries_nobody_and_people_go_round(tmp_path: Path) -> None:
    scenario = tmp_path / "closed_bridge.toml"
    scenario.write_text(
        '[scenario]\nextends = "baseline_egress"\nduration_s = 1800\n\n'
        '[[closures]]\nwhat = "Lávka do Luční"\nat_s = 0\n',
        encoding="utf-8",
    )
    summary = run_small_match_day(
        str(scenario), tmp_path / "result", stadium=480, park=60, streets=30, stops=10
    )
    bridge = summary["flows"]["Lávka do Luční"]
    assert bridge["forward"] + bridge["backward"] == 0
    assert summary["destinations"]["Luční meadow (north bank of the Mže)"]["arrived"] == 0
    assert summary["evacuated"] == 580  # everyone found another way
