"""Comparing two rankings of the same plans (another wind): places, reasons, bad files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from evac.errors import RankingError
from experiments.ranking.compare import compare_rankings, load_ranking
from tests.evac.test_cli import assert_one_line_error, evac


def _plan(
    name: str, rank: int, *, t95: float, exposed: float, censored: bool = False,
    out: float = 15000.0,
) -> dict[str, Any]:  # fmt: skip
    def m(value: float) -> dict[str, float]:
        return {"mean": value, "ci_low": value, "ci_high": value}

    return {
        "name": name,
        "rank": rank,
        "t95_s": m(t95),
        "exposed_above_aegl2": m(exposed),
        "expected_fatalities": m(0.0),
        "casualties": m(0.0),
        "seeds": [0, 1, 2],
        "censored_seeds": 3 if censored else 0,
        "evacuated": m(out),
    }


def _ranking(scenario: str, plans: list[dict[str, Any]], summary: str) -> dict[str, Any]:
    return {"scenario": scenario, "summary": summary, "plans": plans}


def test_a_plan_through_the_plume_rises_when_the_wind_turns() -> None:
    worst = _ranking(
        "ammonia_worst_case",
        [_plan("Luční", 1, t95=2400, exposed=4700, censored=True),
         _plan("Park", 2, t95=2400, exposed=4800, censored=True),
         _plan("Pivovarská lávka", 3, t95=2400, exposed=6000, censored=True)],
        "Exposure to the gas decides the order.",
    )  # fmt: skip
    south_west = _ranking(
        "ammonia_prevailing_sw",
        [_plan("Pivovarská lávka", 1, t95=1500, exposed=0),
         _plan("Luční", 2, t95=1700, exposed=0),
         _plan("Radbuza", 3, t95=1800, exposed=0)],
        "The clearance time decides the order.",
    )  # fmt: skip
    compared = compare_rankings(south_west, worst)
    assert compared["scenario"] == "ammonia_worst_case"
    by_name = {c["name"]: c for c in compared["changes"]}
    assert set(by_name) == {"Pivovarská lávka", "Luční"}
    assert by_name["Pivovarská lávka"]["other_rank"] == 3
    assert by_name["Pivovarská lávka"]["because"] == (
        "rises from 3rd to 1st: above AEGL-2 6,000 → 0, T95 not reached in 2,400 s → 1,500 s."
    )
    assert by_name["Luční"]["because"].startswith("falls from 1st to 2nd")
    assert compared["only_here"] == ["Radbuza"] and compared["only_there"] == ["Park"]
    assert compared["summary"].startswith("2 of 2 plans change place against 'ammonia_worst_case'")
    assert "'Pivovarská lávka' rises from 3rd to 1st" in compared["summary"]
    assert compared["order_there"] == "Exposure to the gas decides the order."
    # Neither reaches 95 % under either wind: the people out by the end say what changed.
    calm = _ranking(
        "calm",
        [_plan("Pivovarská lávka", 1, t95=2400, exposed=0, censored=True, out=11900),
         _plan("Luční", 2, t95=2400, exposed=0, censored=True, out=11000)],
        "",
    )  # fmt: skip
    worst["plans"][2]["evacuated"]["mean"] = 7854.0
    moved = compare_rankings(calm, worst)["changes"][0]
    assert moved["because"] == (
        "rises from 3rd to 1st: above AEGL-2 6,000 → 0, out by the end 7,854 → 11,900."
    )
    same = compare_rankings(worst, worst)
    assert same["summary"] == "The order is the same as in 'ammonia_worst_case'."
    assert all(c["because"].startswith("stays") for c in same["changes"])


def test_load_ranking_takes_the_folder_or_the_file_and_names_a_bad_one(tmp_path: Path) -> None:
    document = _ranking("x", [_plan("a", 1, t95=10, exposed=0)], "")
    (tmp_path / "ranking.json").write_text(json.dumps(document), encoding="utf-8")
    assert load_ranking(tmp_path) == document
    assert load_ranking(tmp_path / "ranking.json") == document
    with pytest.raises(RankingError, match="no ranking at"):
        load_ranking(tmp_path / "missing")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(RankingError, match=r"bad\.json is not a ranking\.json"):
        load_ranking(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"rows": []}', encoding="utf-8")
    with pytest.raises(RankingError, match="no 'plans' list"):
        load_ranking(tmp_path / "other.json")
    # A ranking still at its screening estimate has simulated nothing to compare with.
    early = {**document, "status": {"state": "screening", "seeds": 5, "runs": 30}}
    (tmp_path / "early.json").write_text(json.dumps(early), encoding="utf-8")
    with pytest.raises(RankingError, match="only a screening estimate"):
        load_ranking(tmp_path / "early.json")


def test_rank_names_a_missing_comparison_before_anything_runs(tmp_path: Path) -> None:
    result = evac(
        "rank", "baseline_egress", "--out", str(tmp_path / "r"), "--compare-with",
        str(tmp_path / "nowhere"),
    )  # fmt: skip
    assert_one_line_error(result, "--compare-with: no ranking at")
    assert not (tmp_path / "r").exists()
