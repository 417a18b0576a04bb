"""`evac run`: a scenario to a result folder PedPy reads; bad input writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pedpy

from experiments.single_run import times_text
from tests.evac.test_cli import assert_one_line_error, evac
from tests.scenarios.test_scenario_file import SMALL


def test_run_writes_summary_trajectories_and_curve(tmp_path: Path) -> None:
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "result"
    result = evac("run", str(scenario), "--out", str(out), "--seed", "3")
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["agents_total"] == summary["evacuated"] == 20
    assert f"20/20 out; T50 {summary['t50_s']} s, T95 {summary['t95_s']} s, T100 " in result.stdout
    assert summary["seed"] == 3
    assert 0 < summary["t50_s"] <= summary["t95_s"] <= summary["t100_s"] < 60
    assert summary["flows"]["middle"]["forward"] + summary["flows"]["middle"]["backward"] == 20
    assert summary["max_density_per_m2"] >= 1.0
    trajectory = pedpy.load_trajectory_from_ped_data_archive_hdf5(
        trajectory_file=out / "trajectories.h5"
    )
    assert trajectory.data["id"].nunique() == 20
    assert (out / "evacuation_curve.png").stat().st_size > 5000
    # Same seed, same result.
    again = tmp_path / "again"
    assert evac("run", str(scenario), "--out", str(again), "--seed", "3").returncode == 0
    repeat = json.loads((again / "summary.json").read_text(encoding="utf-8"))
    assert repeat["t100_s"] == summary["t100_s"] and repeat["t50_s"] == summary["t50_s"]


def test_run_with_crowd_aware_routing(tmp_path: Path) -> None:
    scenario = tmp_path / "small.toml"
    scenario.write_text(SMALL, encoding="utf-8")
    out = tmp_path / "result"
    result = evac(
        "run", str(scenario), "--out", str(out), "--set", "scenario.routing=crowd_aware"
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["routing"] == "crowd_aware"
    assert summary["evacuated"] == 20


def test_times_text_says_when_a_share_never_got_out() -> None:
    summary = {"t50_s": 612.3, "t95_s": None}
    assert times_text(summary, "t50_s", "t95_s") == "T50 612.3 s, T95 not reached"


def test_bad_scenario_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.toml"
    scenario.write_text(SMALL.replace("count = 20", "count = 5000"), encoding="utf-8")
    out = tmp_path / "result"
    assert_one_line_error(evac("run", str(scenario), "--out", str(out)), "do not fit")
    assert not out.exists() and not (tmp_path / "result.partial").exists()
    assert_one_line_error(
        evac("run", str(scenario), "--out", str(out), "--set", "agents.0.cuont=3"),
        "unknown key 'cuont'",
    )


def test_verify_json_subset() -> None:
    result = evac("verify", "--tests", "1,6,10,16", "--json")
    assert result.returncode == 0, result.stderr
    tests = {t["test"]: t for t in json.loads(result.stdout)["tests"]}
    assert tests[1]["passed"] is True and "s" in tests[1]["measured"]
    assert tests[6]["passed"] is True
    assert tests[10]["passed"] is True
    assert isinstance(tests[16]["passed"], bool)
    assert tests[16]["measured"].count("m/s") == 6  # one point per ring run


def test_verify_rejects_unknown_tests() -> None:
    assert_one_line_error(evac("verify", "--tests", "2"), "no RiMEA test 2")
    assert_one_line_error(evac("verify", "--tests", "one"), "--tests must be numbers")
