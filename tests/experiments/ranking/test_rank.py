"""`evac rank`: ranking.json on a small worst-case ammonia crowd, run on a real Dask cluster;
the intervals and the order."""

from __future__ import annotations

import itertools
import json
import math
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

from experiments.ranking.compare import format_interval
from experiments.ranking.rank import (
    attach_gaps,
    clearance_text,
    explain,
    interval,
    order_key,
    paired_gap,
    what_decides,
)
from tests.evac.test_cli import assert_one_line_error, evac

METRICS = ("t95_s", "exposed_above_aegl2", "expected_fatalities", "casualties",
           "max_density_per_m2")  # fmt: skip


def test_interval_is_the_student_t_interval_of_the_mean() -> None:
    values = [1510.0, 1580.0, 1495.0, 1620.0, 1550.0]
    got = interval(values)
    half = stats.t.ppf(0.975, 4) * np.std(values, ddof=1) / math.sqrt(5)
    assert got["mean"] == pytest.approx(np.mean(values), abs=0.01)
    assert got["ci_low"] is not None and got["ci_high"] is not None
    assert got["ci_low"] == pytest.approx(np.mean(values) - half, abs=0.01)
    assert got["ci_high"] == pytest.approx(np.mean(values) + half, abs=0.01)
    assert interval([0.0, 0.0, 3.0])["ci_low"] == 0.0  # counts are never negative
    # One run gives no interval (not a zero-width one).
    assert interval([7.0]) == {"mean": 7.0, "ci_low": None, "ci_high": None}
    assert format_interval(interval([7.0]), unit=" s") == "7 s (one run)"
    assert format_interval(interval([10.0, 12.0])) == "11 [0, 24]"  # 11 ± 12.7, not below 0
    # Nearly everyone out in every run: the interval does not go past the whole crowd.
    assert interval([15000.0, 14990.0, 15000.0], upper=15000.0)["ci_high"] == 15000.0
    unbounded = interval([15000.0, 14990.0, 15000.0])["ci_high"]
    assert unbounded is not None and unbounded > 15000.0


def test_ranking_json(small_ranking: Path) -> None:
    ranking = json.loads((small_ranking / "ranking.json").read_text(encoding="utf-8"))
    assert ranking["scenario"] == "ammonia_worst_case"
    assert ranking["situation"] is None  # the scenario's planned crowd (no --situation)
    plans = ranking["plans"]
    assert len(plans) >= 4
    assert [p["rank"] for p in plans] == list(range(1, len(plans) + 1))
    names = {p["name"] for p in plans}
    # The scenario's own plan and the hand-written ones are always simulated, whatever the
    # screening says (--shortlist 4 here, 1 + 4 of them).
    assert "As planned (scenario)" in names and "East over Pivovarská lávka" in names
    assert len(plans) == 5
    for plan in plans:
        assert len(plan["seeds"]) == 2 and len(set(plan["seeds"])) == 2
        for metric in METRICS:
            m = plan[metric]
            assert m["ci_low"] <= m["mean"] <= m["ci_high"], (plan["name"], metric)
        assert plan["via"] and isinstance(plan["explanation"], str) and plan["explanation"]
        # The screening's lower bound never exceeds a simulated T95.
        assert plan["lower_bound_holds"], plan["name"]
        assert plan["lower_bound_s"] <= plan["t95_s"]["mean"]
        assert plan["lower_bound_s"] > 0
    # The order follows the criterion: harm, then people above AEGL-2, then T95, then most out.
    keys = [
        (round((p["expected_fatalities"]["mean"] + p["casualties"]["mean"]) / 0.05),
         math.floor(p["exposed_above_aegl2"]["mean"] + 0.5), p["t95_s"]["mean"],
         -p["evacuated"]["mean"])
        for p in plans
    ]  # fmt: skip
    assert keys == sorted(keys)
    assert any(p["pareto"] for p in plans)
    assert plans[0]["explanation"].startswith("Ranks first")
    # Each plan below the first, compared seed by seed with the plan above it.
    assert "behind_plan_above" not in plans[0]
    for above, plan in itertools.pairwise(plans):
        gap = plan["behind_plan_above"]
        assert gap["plan"] == above["name"] and gap["paired_seeds"] == 2
        assert gap["ci_low"] <= gap["mean"] <= gap["ci_high"]
        assert gap["certain"] == (gap["ci_low"] > 0)
        assert plan["per_seed"]["t95_s"] and len(plan["per_seed"]["harm"]) == 2
    for dropped in ranking["screened_out"]:
        assert dropped["reason"] and dropped["lower_bound_s"] > 0
    # Every member's own summary is kept.
    runs = sorted((small_ranking / "runs").glob("*/seed_*/summary.json"))
    assert len(runs) == 2 * len(plans)
    # Seed by seed: a provisional ranking after the first seed of every plan, then the final.
    assert ranking["status"] == {"state": "final", "seeds_done": 2, "seeds": 2, "runs_done": 10,
                                 "runs": 10}  # fmt: skip
    first, last = ranking["rounds"]
    assert first["seeds"] == 1 and last["seeds"] == 2
    assert sorted(first["order"]) == sorted(names)
    assert last["order"] == [p["name"] for p in plans]
    assert 0 < first["wall_time_s"] < last["wall_time_s"] == ranking["wall_time_s"]
    settled = 1 if first["order"] == last["order"] else 2
    assert ranking["order_unchanged_since_seeds"] == settled
    said = (small_ranking.parent / "rank_stderr.txt").read_text(encoding="utf-8")
    provisional = [line for line in said.splitlines() if line.startswith("provisional ranking")]
    assert len(provisional) == 1 and "after 1 of 2 seeds per plan" in provisional[0]
    # Before any run, the order the network screening expects: estimated dead, then people
    # above AEGL-2 to the nearest ten, then the estimated T95.
    lines = said.splitlines()
    screening = [k for k, line in enumerate(lines) if line.startswith("screening estimate")]
    assert len(screening) == 1 and screening[0] < lines.index(provisional[0])
    expected = sorted(
        plans,
        key=lambda p: (round(p["screening"]["estimated_fatalities"], 1),
                       round(p["screening"]["estimated_above_aegl2"], -1),
                       p["screening"]["estimated_t95_s"]),
    )  # fmt: skip
    assert lines[screening[0]].endswith(
        "; ".join(f"{k}. {p['name']}" for k, p in enumerate(expected, 1))
    )
    assert "; the final in about " in provisional[0]  # from the pace of the first round
    assert all(name in provisional[0] for name in first["order"])


def test_rank_needs_a_site_scenario(tmp_path: Path) -> None:
    result = evac("rank", "bottleneck_1m", "--out", str(tmp_path / "r"))
    assert_one_line_error(result, "ranking needs a scenario on a site")
    assert not (tmp_path / "r").exists()


def test_rank_rejects_bad_options(tmp_path: Path) -> None:
    result = evac("rank", "baseline_egress", "--out", str(tmp_path / "r"), "--seeds", "0")
    assert_one_line_error(result, "--seeds must be at least 1")


def _entry(
    name: str, *, t95: float, exposed: float, fatalities: float = 0.0,
    t95_by_seed: tuple[float, ...] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A ranked plan as build_ranking makes it; by default its two seeds lie 40 s either side
    of the mean T95 (the seeds' crowds differ) and 50 people either side of the exposure."""

    def m(value: float, spread: float = 0.0) -> dict[str, float]:
        return {"mean": value, "ci_low": value - spread, "ci_high": value + spread}

    t95s = list(t95_by_seed or (t95 - 40.0, t95 + 40.0))
    return {
        "name": name,
        "t95_s": m(t95, 40.0),
        "exposed_above_aegl2": m(exposed, 50.0),
        "expected_fatalities": m(fatalities),
        "casualties": m(0.0),
        "max_density_per_m2": m(5.0),
        "evacuated": m(15000.0),
        "censored_seeds": 0,
        "seeds": list(range(len(t95s))),
        "per_seed": {
            "harm": [fatalities] * len(t95s),
            "exposed_above_aegl2": [exposed - 50.0, exposed + 50.0][: len(t95s)],
            "t95_s": t95s,
            "evacuated": [15000.0] * len(t95s),
        },
        "screening": {"bottleneck": None},
    }


def test_a_censored_clearance_time_is_printed_as_a_lower_limit() -> None:
    entry = _entry("slow", t95=2400, exposed=0)
    assert clearance_text(entry) == "T95 2400 s [2360, 2440]"
    entry["censored_seeds"] = 1
    assert clearance_text(entry).endswith("(1 of 2 runs did not reach 95 %: too low)")
    entry["censored_seeds"] = 2
    assert clearance_text(entry) == "T95 > 2400 s (no run got 95 % out; 15000 out by then)"


def test_the_order_and_its_reasons_follow_the_hazard() -> None:
    gas = [_entry("fast through the plume", t95=1500, exposed=4000),
           _entry("slow upwind", t95=2100, exposed=300)]  # fmt: skip
    gas.sort(key=order_key)
    attach_gaps(gas)
    assert [p["name"] for p in gas] == ["slow upwind", "fast through the plume"]
    assert what_decides(gas).startswith("Exposure to the gas decides the order")
    assert "people above AEGL-2: 4000 against 300" in explain(gas[1], gas, 2)
    clean = [_entry("fast", t95=1500, exposed=0), _entry("slow", t95=2100, exposed=0)]
    clean.sort(key=order_key)
    attach_gaps(clean)
    assert [p["name"] for p in clean] == ["fast", "slow"]
    assert what_decides(clean).startswith("The clearance time decides the order: nobody is hurt")
    assert explain(clean[0], clean, 1).startswith("Ranks first")
    assert "clearly ahead" in explain(clean[0], clean, 1)
    # One run per plan (a provisional ranking): no interval, so never "clearly ahead".
    for entry in clean:
        for metric in ("t95_s", "exposed_above_aegl2", "expected_fatalities", "casualties"):
            entry[metric].update(ci_low=None, ci_high=None)
        entry["seeds"] = entry["seeds"][:1]
        entry["per_seed"] = {key: values[:1] for key, values in entry["per_seed"].items()}
    attach_gaps(clean)
    assert explain(clean[0], clean, 1).startswith("Ranks first: T95 1500 s (one run) (")
    assert "one run per plan, no intervals yet: the order is not certain" in explain(
        clean[0], clean, 1
    )
    assert "(one run each, no intervals yet)" in explain(clean[1], clean, 2)


def later(times: tuple[float, ...], *by: float) -> tuple[float, ...]:
    return tuple(t + d for t, d in zip(times, by, strict=True))


def test_plans_are_compared_seed_by_seed_on_the_same_crowds() -> None:
    """Five seeds whose crowds differ by 300 s between them: the marginal intervals of the two
    plans overlap, yet the second is 30-50 s slower on every crowd, so it is clearly behind;
    with the same spread but differences of either sign it is not."""
    crowds = (1400.0, 1500.0, 1600.0, 1650.0, 1700.0)
    fast = _entry("fast", t95=1570.0, exposed=0.0, t95_by_seed=crowds)
    slower = _entry(
        "slower", t95=1610.0, exposed=0.0, t95_by_seed=later(crowds, 30, 50, 40, 35, 45)
    )
    gap = paired_gap(fast, slower)
    assert gap["metric"] == "t95_s" and gap["paired_seeds"] == 5
    assert gap["mean"] == pytest.approx(40.0)
    differences = [30.0, 50.0, 40.0, 35.0, 45.0]
    half = stats.t.ppf(0.975, 4) * np.std(differences, ddof=1) / math.sqrt(5)
    assert gap["ci_low"] == pytest.approx(40.0 - half, abs=0.01) and gap["certain"]
    plans = [fast, slower]
    attach_gaps(plans)
    assert "clearly ahead of the next plan: by 40 [" in explain(fast, plans, 1)
    assert "over the same 5 crowds" in explain(fast, plans, 1)
    assert "(clearly: by 40 [" in explain(slower, plans, 2)
    mixed = _entry(
        "mixed", t95=1610.0, exposed=0.0, t95_by_seed=later(crowds, 130, -50, 140, -35, 15)
    )
    gap = paired_gap(fast, mixed)
    assert gap["ci_low"] < 0 < gap["ci_high"] and not gap["certain"]
    plans = [fast, mixed]
    attach_gaps(plans)
    assert "not clearly ahead of the next plan on T95" in explain(fast, plans, 1)
    assert "(not clearly: by 40 [" in explain(mixed, plans, 2)
    # More people out is better: the gap is still positive when the lower plan is worse.
    fewer = _entry("fewer out", t95=1570.0, exposed=0.0, t95_by_seed=crowds)
    fewer["evacuated"]["mean"] = 14000.0
    fewer["per_seed"]["evacuated"] = [13900.0, 14100.0, 14000.0, 13950.0, 14050.0]
    gap = paired_gap(fast, fewer)
    assert gap["metric"] == "evacuated" and gap["mean"] == pytest.approx(1000.0) and gap["certain"]


def test_a_clearance_time_not_reached_bounds_the_gap_or_leaves_it_unknown() -> None:
    """A T95 a run did not reach counts as the duration (2,400 s): a lower bound. If only the
    plan below fell short on a seed, its gap there is at least the recorded one and "clearly"
    stands; if the plan above fell short, the gap there is not known and never "clearly"."""
    crowds = (1400.0, 1500.0, 1600.0, 1650.0, 1700.0)
    fast = _entry("fast", t95=1570.0, exposed=0.0, t95_by_seed=crowds)
    fast["per_seed"]["t95_reached"] = [True] * 5
    cut = _entry("cut off", t95=1900.0, exposed=0.0,
                 t95_by_seed=(1700.0, 1800.0, 2000.0, 2400.0, 2400.0))  # fmt: skip
    cut["per_seed"]["t95_reached"] = [True, True, True, False, False]
    gap = paired_gap(fast, cut)
    assert (gap["lower_bound_seeds"], gap["unknown_seeds"]) == (2, 0) and gap["certain"]
    plans = [fast, cut]
    attach_gaps(plans)
    assert explain(cut, plans, 2).startswith("Ranks 2 behind 'fast' on T95")
    lower_bound = "in 2 of them this plan did not get 95 % out within the run, so it lies"
    assert lower_bound in explain(cut, plans, 2)
    # Both plans cut off on the last seed: the recorded difference there is 0, the true one not
    # known, so even an interval above zero is not "clearly".
    fast = _entry("fast", t95=1710.0, exposed=0.0,
                  t95_by_seed=(1400.0, 1500.0, 1600.0, 1650.0, 2400.0))  # fmt: skip
    cut = _entry("cut off", t95=1990.0, exposed=0.0,
                 t95_by_seed=(1700.0, 1800.0, 2000.0, 2050.0, 2400.0))  # fmt: skip
    for entry in (fast, cut):
        entry["per_seed"]["t95_reached"] = [True, True, True, True, False]
    plans = [fast, cut]
    gap = paired_gap(fast, cut)
    assert gap["ci_low"] > 0 and gap["unknown_seeds"] == 1 and not gap["certain"]
    attach_gaps(plans)
    assert "(not clearly: by 280 [" in explain(cut, plans, 2)
    assert "in 1 of them the plan above did not get 95 % out" in explain(cut, plans, 2)
    # A ranking written before the flag existed: every value counts as reached.
    for entry in plans:
        del entry["per_seed"]["t95_reached"]
    assert paired_gap(fast, cut)["certain"]


def test_a_wrong_hand_written_plan_is_named_before_anything_runs(tmp_path: Path) -> None:
    scenario = tmp_path / "typo.toml"
    scenario.write_text(
        'scenario.extends = "baseline_egress"\n'
        "[[ranking.plans]]\n"
        'name = "Over the wrong bridge"\n'
        'rules = [{ from = "stadium", via = ["Most nikam"], to = "náměstí Republiky" }]\n',
        encoding="utf-8",
    )
    result = evac("rank", str(scenario), "--out", str(tmp_path / "r"))
    assert_one_line_error(result, "plan 'Over the wrong bridge'")
    assert "Most nikam" in result.stderr
    assert not (tmp_path / "r").exists()
    scenario.write_text('scenario.extends = "baseline_egress"\n[ranking]\nseed = 3\n', "utf-8")
    assert_one_line_error(evac("rank", str(scenario), "--out", str(tmp_path / "r")),
                          "ranking: unknown key 'seed'")  # fmt: skip


def test_resume_keeps_every_matching_run(small_ranking: Path) -> None:
    from tests.conftest import SMALL_RANKING_OVERRIDES

    before = json.loads((small_ranking / "ranking.json").read_text(encoding="utf-8"))
    overrides = [arg for o in SMALL_RANKING_OVERRIDES for arg in ("--set", o)]
    result = evac(
        "rank", "ammonia_worst_case", "--out", str(small_ranking), "--seeds", "2",
        "--shortlist", "4", "--workers", "2", "--resume", "--compare-with", str(small_ranking),
        *overrides, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "The order is the same as in 'ammonia_worst_case'." in result.stdout
    runs = 2 * len(before["plans"])
    assert f"= {runs} runs ({runs} kept from before)" in result.stderr
    after = json.loads((small_ranking / "ranking.json").read_text(encoding="utf-8"))
    assert [(p["name"], p["t95_s"]) for p in after["plans"]] == [
        (p["name"], p["t95_s"]) for p in before["plans"]
    ]
    compared = after["compared_with"]
    assert [(c["rank"], c["other_rank"]) for c in compared["changes"]] == [
        (p["rank"], p["rank"]) for p in before["plans"]
    ]
    page = (small_ranking / "report.html").read_text(encoding="utf-8")
    assert '<section id="comparison"><h2>Compared with ammonia_worst_case</h2>' in page


def test_resume_publishes_the_rounds_already_whole_then_runs_the_rest(
    small_ranking: Path, tmp_path: Path
) -> None:
    from tests.conftest import SMALL_RANKING_OVERRIDES

    out = tmp_path / "interrupted"
    shutil.copytree(small_ranking, out)
    before = json.loads((out / "ranking.json").read_text(encoding="utf-8"))
    lost = sorted((out / "runs").glob("*/seed_1"))[0]  # as if stopped before this run ended
    shutil.rmtree(lost)
    overrides = [arg for o in SMALL_RANKING_OVERRIDES for arg in ("--set", o)]
    result = evac(
        "rank", "ammonia_worst_case", "--out", str(out), "--seeds", "2", "--shortlist", "4",
        "--workers", "0", "--resume", *overrides, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    runs = 2 * len(before["plans"])
    lines = result.stderr.splitlines()
    assert f"simulating 5 plans x 2 seeds = {runs} runs ({runs - 1} kept from before)" in lines
    # The first round is whole from the start: published before the missing run is run again.
    first = next(k for k, line in enumerate(lines) if line.startswith("provisional ranking"))
    rerun = next(k for k, line in enumerate(lines) if line.startswith("[1/1] "))
    assert first < rerun and "after 1 of 2 seeds per plan" in lines[first]
    after = json.loads((out / "ranking.json").read_text(encoding="utf-8"))
    assert after["status"]["state"] == "final" and after["runs_kept_from_before"] == runs - 1
    assert [r["seeds"] for r in after["rounds"]] == [1, 2]
    # Same seed, same result: the run made again gives the ranking it gave the first time.
    assert [(p["name"], p["t95_s"], p["exposed_above_aegl2"]) for p in after["plans"]] == [
        (p["name"], p["t95_s"], p["exposed_above_aegl2"]) for p in before["plans"]
    ]
    assert (lost / "summary.json").is_file()
