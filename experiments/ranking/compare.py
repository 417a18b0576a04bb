"""How a ranking changes from one situation to another (another wind, hazard or closure): for the
commander who asks "and if the wind turns?". Pure functions on two ranking.json documents."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evac.errors import RankingError


def load_ranking(path: Path) -> dict[str, Any]:
    """A ranking.json, given as the file or the folder `evac rank` wrote it to."""
    file = path / "ranking.json" if path.is_dir() else path
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RankingError(f"--compare-with: no ranking at {file}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RankingError(f"--compare-with: {file} is not a ranking.json ({exc})") from None
    if not isinstance(document, dict) or not isinstance(document.get("plans"), list):
        raise RankingError(f"--compare-with: {file} is not a ranking.json (no 'plans' list)")
    if document.get("status", {}).get("state") == "screening":
        raise RankingError(
            f"--compare-with: {file} holds only a screening estimate (no plan simulated yet)"
        )
    return document


def compare_rankings(current: Mapping[str, Any], other: Mapping[str, Any]) -> dict[str, Any]:
    """The order of `current` against that of `other`: per plan ranked in both, its two places and
    one sentence on what moved it; the plans ranked in only one; and a summary sentence."""
    before = {p["name"]: p for p in other["plans"]}
    changes = [
        {
            "name": plan["name"],
            "rank": plan["rank"],
            "other_rank": before[plan["name"]]["rank"],
            "because": _because(plan, before[plan["name"]]),
        }
        for plan in current["plans"]
        if plan["name"] in before
    ]
    names = {p["name"] for p in current["plans"]}
    moved = [c for c in changes if c["rank"] != c["other_rank"]]
    there = other.get("scenario", "the other ranking")
    if not changes:
        summary = f"No plan is ranked both here and in '{there}'."
    elif not moved:
        summary = f"The order is the same as in '{there}'."
    else:
        biggest = max(moved, key=lambda c: abs(c["rank"] - c["other_rank"]))
        summary = (
            f"{len(moved)} of {len(changes)} plans change place against '{there}'; the biggest "
            f"move: '{biggest['name']}' {biggest['because']}"
        )
    return {
        "scenario": there,
        "summary": summary,
        "order_there": other.get("summary", ""),
        "changes": changes,
        "only_here": [p["name"] for p in current["plans"] if p["name"] not in before],
        "only_there": [p["name"] for p in other["plans"] if p["name"] not in names],
    }


def _because(here: Mapping[str, Any], there: Mapping[str, Any]) -> str:
    """'rises from 5th to 2nd: above AEGL-2 6,012 → 0, T95 not reached in 2,400 s → 1,650 s.'"""
    if here["rank"] < there["rank"]:
        move = f"rises from {_ordinal(there['rank'])} to {_ordinal(here['rank'])}"
    elif here["rank"] > there["rank"]:
        move = f"falls from {_ordinal(there['rank'])} to {_ordinal(here['rank'])}"
    else:
        move = f"stays {_ordinal(here['rank'])}"
    clearance = (
        # Neither reached 95 %: the people out by the end tell them apart.
        f"out by the end {there['evacuated']['mean']:,.0f} → {here['evacuated']['mean']:,.0f}"
        if censored(here) and censored(there)
        else f"T95 {_t95(there)} → {_t95(here)}"
    )
    facts = [
        f"above AEGL-2 {there['exposed_above_aegl2']['mean']:,.0f} → "
        f"{here['exposed_above_aegl2']['mean']:,.0f}",
        clearance,
    ]
    harm_there, harm_here = harm(there), harm(here)
    if harm_there or harm_here:
        facts.insert(0, f"expected dead or hurt {harm_there:.1f} → {harm_here:.1f}")
    return f"{move}: {', '.join(facts)}."


def _t95(entry: Mapping[str, Any]) -> str:
    seconds = entry["t95_s"]["mean"]
    return f"not reached in {seconds:,.0f} s" if censored(entry) else f"{seconds:,.0f} s"


def censored(entry: Mapping[str, Any]) -> bool:
    """Whether no seed of a ranked plan got 95 % out within the run (T95 is then the run's
    duration)."""
    return bool(entry.get("censored_seeds", 0) == len(entry.get("seeds", [])) > 0)


def format_interval(metric: dict[str, Any], *, digits: int = 0, unit: str = "") -> str:
    """'1682 s [1634, 1729]', or '1682 s (one run)' where there is no interval (unit ' s')."""
    mean = f"{metric['mean']:.{digits}f}{unit}"
    if metric["ci_low"] is None:
        return f"{mean} (one run)"
    return f"{mean} [{metric['ci_low']:.{digits}f}, {metric['ci_high']:.{digits}f}]"


def t95_parts(entry: Mapping[str, Any], *, unit: str = " s") -> tuple[str, str]:
    """A ranked plan's T95 and a remark on runs that never got 95 % out within their duration:
    ('> 2400 s', 'no run got 95 % out; 8963 out by then') when none did (their mean is only the
    duration), ('2210 s [1990, 2430]', '2 of 5 runs did not reach 95 %: too low') when some
    did not, ('1983 s [1973, 1993]', '') when all did."""
    t95, runs, cut = entry["t95_s"], len(entry["seeds"]), entry["censored_seeds"]
    if censored(entry):
        return (
            f"> {t95['mean']:.0f}{unit}",
            f"no run got 95 % out; {entry['evacuated']['mean']:.0f} out by then",
        )
    remark = f"{cut} of {runs} runs did not reach 95 %: too low" if cut else ""
    return format_interval(t95, unit=unit), remark


def harm(entry: Mapping[str, Any]) -> float:
    """A ranked plan's expected fatalities plus casualties (the ranking's first criterion)."""
    return float(entry["expected_fatalities"]["mean"] + entry["casualties"]["mean"])


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
