"""The [ranking] section: how `evac rank` evaluates plans, and plans written by hand.

[ranking]
seeds = 5               # simulations per short-listed plan (at least 2 for an interval)
shortlist = 4           # plans simulated (the scenario's own and hand-written ones always are)
generate = true         # add plans generated from the walk network
[[ranking.plans]]
name = "Over the footbridge to Luční"
description = "the north stand over Lávka do Luční, the rest to the nearest destination"
[[ranking.plans.rules]]
from = "North stand"
via = ["Lávka do Luční"]
to = "Luční meadow (north bank of the Mže)"
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evac.errors import ScenarioError
from scenarios import checks
from scenarios.site_scenario import PlanRule, parse_plan_rules

_KEYS = {"seeds", "shortlist", "generate", "plans"}
_PLAN_KEYS = {"name", "description", "rules"}


@dataclass(frozen=True, kw_only=True)
class HandWrittenPlan:
    """A plan a planner wrote: a name, a line on what it does, and its rules."""

    name: str
    description: str
    rules: tuple[PlanRule, ...]


@dataclass(frozen=True, kw_only=True)
class RankingSettings:
    """How `evac rank` evaluates this scenario's plans (the defaults when there is no section)."""

    seeds: int = 5
    shortlist: int = 4
    generate: bool = True
    plans: tuple[HandWrittenPlan, ...] = ()


def parse_ranking(document: Mapping[str, Any]) -> RankingSettings | None:
    """The [ranking] section, or None when the scenario has none."""
    if "ranking" not in document:
        return None
    table = checks.table(document, "ranking", "ranking", allowed=_KEYS)
    generate = table.get("generate", True)
    if not isinstance(generate, bool):
        raise ScenarioError(f"ranking.generate must be true or false, got {generate!r}")
    plans = []
    names: set[str] = set()
    for index, entry in enumerate(
        checks.tables(table, "plans", "ranking.plans", allowed=_PLAN_KEYS)
    ):
        where = f"ranking.plans[{index}]"
        name = checks.text(entry, "name", where)
        if name in names:
            raise ScenarioError(f"{where}.name: '{name}' is used by two plans")
        names.add(name)
        rules = entry.get("rules")
        if not isinstance(rules, list) or not rules:
            raise ScenarioError(
                f"{where}.rules must be a non-empty list of {{from, via, to}} tables"
            )
        description = entry.get("description", "")
        if not isinstance(description, str):
            raise ScenarioError(f"{where}.description must be text, got {description!r}")
        plans.append(
            HandWrittenPlan(
                name=name,
                description=description,
                rules=parse_plan_rules(rules, f"{where}.rules"),
            )
        )
    return RankingSettings(
        seeds=int(checks.number(table, "seeds", "ranking", 1, 100, default=5, integer=True)),
        shortlist=int(checks.number(table, "shortlist", "ranking", 1, 50, default=4, integer=True)),
        generate=generate,
        plans=tuple(plans),
    )
