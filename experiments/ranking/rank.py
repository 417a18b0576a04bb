"""`evac rank`: candidate plans, screening, ensembles of the short list, and the ranking.

Order: life safety first, then time. Plans are sorted by the mean over seeds of
(1) expected fatalities plus casualties, (2) people above AEGL-2, (3) the T95 clearance time,
(4) people out by the end of the run; a later key decides only when the earlier ones tie
(harm to 0.05 people). Every metric comes with a
95 % confidence interval of its mean (Student t over the seeds). Runs that do not reach 95 %
within the scenario's duration count with the duration as their T95 (a lower value than the
truth: such plans are flagged `censored_seeds`).

How sure the order is comes from paired comparisons: every plan runs with the same seeds, and a
seed fixes the crowd (who stands where, their speeds and pre-movement times), so the plans are
compared on common random numbers, seed by seed. A plan is clearly behind the one above it when
the 95 % interval of their per-seed differences on the deciding metric excludes zero; that
separates plans whose own intervals overlap because the crowds of the seeds differ more than
the plans do.
"""

from __future__ import annotations

import itertools
import json
import math
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from evac.errors import ScenarioError
from experiments.ranking.compare import compare_rankings, harm, t95_parts
from experiments.ranking.ensemble import MemberJob, member_fingerprint, run_ensemble
from experiments.ranking.plans import (
    CandidatePlan,
    RankingContext,
    apply_plan,
    generate_plans,
    movements,
    passages_used,
    ranking_context,
    scenario_plans,
)
from experiments.ranking.rounds import complete_rounds, unchanged_since
from experiments.ranking.screening import Screening, screen_plan, summarise
from experiments.single_run import times_text
from scenarios.population import SPEEDS_M_S
from scenarios.ranking_settings import RankingSettings
from scenarios.scenario_file import Scenario
from scenarios.situation import situation_of
from visualise.report import write_report

METRICS = (
    "t95_s",
    "exposed_above_aegl2",
    "expected_fatalities",
    "casualties",
    "max_density_per_m2",
    "person_seconds_above_4_per_m2",
    "mean_walking_distance_m",
)
# Metrics that count people: their intervals end at the crowd's size.
_COUNTS_OF_PEOPLE = {"exposed_above_aegl2", "expected_fatalities", "casualties"}
HARM_TIE = 0.05
# The members' shared floor fields (simulator.floor_field.FloorFieldStore), in the ranking's
# folder while it runs: the seeds of a plan see the same plume, so they need the same fields
# (9.4 MB each on the Plzeň map; 1.3 GB after the worst-case ranking's first five members).
# Removed at the end.
FIELD_FOLDER = ".fields"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class ScreenedPlan:
    plan: CandidatePlan
    screening: Screening
    via: list[str]
    signature: tuple[Any, ...]
    """Per origin: the legs and destinations (equal signatures: the same plan)."""


def rank_scenario(
    scenario: Scenario,
    out_dir: Path,
    *,
    seeds: int | None = None,
    shortlist: int | None = None,
    generate: bool | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
    report: bool = True,
    resume: bool = False,
    compare_with: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rank the plans of a site scenario; writes DIR/ranking.json (and DIR/report.html) and
    returns the ranking. Options left as None come from the scenario's [ranking] section.

    `resume`: members already in DIR/runs from the same scenario, plan and seed (their
    fingerprint matches) are kept instead of run again, so a long ranking can be continued.
    `compare_with`: another ranking (e.g. under another wind); the result then says how the
    order changed and why (`compared_with`)."""
    say = progress or (lambda _: None)
    started = time.perf_counter()
    settings = scenario.ranking or RankingSettings()
    seeds = seeds if seeds is not None else settings.seeds
    shortlist = shortlist if shortlist is not None else settings.shortlist
    generate = settings.generate if generate is None else generate
    context = ranking_context(scenario)
    candidates = scenario_plans(context) + (generate_plans(context) if generate else [])
    screened = _distinct([_screen(context, plan) for plan in candidates])
    screening_s = time.perf_counter() - started
    say(f"screened {len(screened)} plans in {screening_s:.1f} s")
    chosen, dropped = choose_shortlist(screened, shortlist)
    # The members live in DIR/runs, each written whole (a run that fails leaves nothing), so
    # that an interrupted ranking can be resumed; ranking.json and report.html are written after
    # every complete round of seeds (provisional) and at the end.
    if not resume:
        shutil.rmtree(out_dir, ignore_errors=True)
    (out_dir / "runs").mkdir(parents=True, exist_ok=True)
    # Round by round (seed k of every plan, then seed k + 1), so that a provisional ranking can
    # be published whenever every plan has the same number of runs.
    jobs = [
        MemberJob(
            plan=item.plan.name,
            seed=scenario.seed + k,
            scenario=apply_plan(scenario, item.plan, context.origins),
            folder=out_dir / "runs" / _slug(item.plan.name) / f"seed_{scenario.seed + k}",
            field_folder=out_dir / FIELD_FOLDER,
        )
        for k in range(seeds)
        for item in chosen
    ]
    index_of = {(job.plan, job.seed): k for k, job in enumerate(jobs)}
    kept = _kept_members(jobs) if resume else {}
    to_run = [job for k, job in enumerate(jobs) if k not in kept]
    say(
        f"simulating {len(chosen)} plans x {seeds} seeds = {len(jobs)} runs"
        + (f" ({len(kept)} kept from before)" if kept else "")
    )
    finished: dict[int, dict[str, Any]] = dict(kept)
    history: list[dict[str, Any]] = []
    members_started = time.perf_counter()

    def whole_rounds() -> int:
        return complete_rounds(finished, runs_per_round=len(chosen), rounds=seeds)

    def publish(final: bool) -> dict[str, Any]:
        done = whole_rounds()
        summaries = [finished[k] for k in range(done * len(chosen))]
        ranking = build_ranking(scenario, context, chosen, dropped, summaries, seeds=done)
        wall = round(time.perf_counter() - started, 1)
        order = [p["name"] for p in ranking["plans"]]
        history.append({"seeds": done, "wall_time_s": wall, "order": order})
        ranking["status"] = {
            "state": "final" if final else "provisional",
            "seeds_done": done,
            "seeds": seeds,
            "runs_done": len(finished),
            "runs": len(jobs),
        }
        left_s = None if final else _time_left_s(
            runs_left=len(jobs) - len(finished), runs_here=len(finished) - len(kept),
            members_s=time.perf_counter() - members_started,
        )  # fmt: skip
        if left_s is not None:
            ranking["status"]["expected_final_wall_time_s"] = round(wall + left_s)
            ranking["status"]["expected_final_at"] = _clock_after(left_s)
        ranking["rounds"] = list(history)
        ranking["order_unchanged_since_seeds"] = unchanged_since(history)
        ranking["wall_time_s"] = wall
        ranking["screening_wall_time_s"] = round(screening_s, 2)
        ranking["runs_kept_from_before"] = len(kept)
        if final and compare_with is not None:
            ranking["compared_with"] = compare_rankings(ranking, compare_with)
        _write_whole(out_dir / "ranking.json", json.dumps(ranking, indent=2, ensure_ascii=False))
        if report:
            _write_report(ranking, context, chosen, summaries, out_dir)
        if not final:
            expected = "" if left_s is None else f"; the final in about {left_s / 60:.0f} min"
            say(
                f"provisional ranking after {done} of {seeds} seeds per plan "
                f"({wall:.0f} s{expected}): "
                + "; ".join(f"{k}. {name}" for k, name in enumerate(order, 1))
            )
        return ranking

    if whole_rounds() == 0:
        # The first answer, from the network screening alone, before any run.
        first = screening_ranking(scenario, context, chosen, dropped, seeds=seeds, runs=len(jobs))
        first["wall_time_s"] = first["screening_wall_time_s"] = round(screening_s, 2)
        _write_whole(out_dir / "ranking.json", json.dumps(first, indent=2, ensure_ascii=False))
        (out_dir / "report.html").unlink(missing_ok=True)  # an older ranking's, if resumed
        say(
            f"screening estimate ({screening_s:.0f} s; not simulated yet, the first simulated "
            "ranking follows one run per plan): "
            + "; ".join(f"{p['rank']}. {p['name']}" for p in first["plans"])
        )
    elif whole_rounds() < seeds:
        publish(final=False)

    def member_done(job: MemberJob, summary: dict[str, Any]) -> None:
        before = whole_rounds()
        finished[index_of[(job.plan, job.seed)]] = summary
        say(f"[{len(finished) - len(kept)}/{len(to_run)}] {job.plan}, seed {job.seed}: "
            f"{times_text(summary, 't95_s')} ({summary['evacuated']} of "
            f"{summary['agents_total']} out)")  # fmt: skip
        if before < whole_rounds() < seeds:
            publish(final=False)

    try:
        run_ensemble(to_run, workers=workers, scheduler=scheduler, on_done=member_done)
    finally:
        shutil.rmtree(out_dir / FIELD_FOLDER, ignore_errors=True)
    return publish(final=True)


def _time_left_s(*, runs_left: int, runs_here: int, members_s: float) -> float | None:
    """How long the runs left will take at the pace of those run so far (None before any)."""
    return members_s / runs_here * runs_left if runs_here else None


def _clock_after(seconds: float) -> str:
    """The local time `seconds` from now, ISO 8601 with the offset from UTC."""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(time.time() + seconds))


def _write_report(
    ranking: dict[str, Any], context: RankingContext, chosen: list[ScreenedPlan],
    summaries: list[dict[str, Any]], out_dir: Path,
) -> None:  # fmt: skip
    routes = {
        item.plan.name: {
            origin: [context.network.xy[n] for n in path]
            for origin, path in item.screening.routes.items()
        }
        for item in chosen
    }
    temporary = out_dir / "report.html.partial"
    write_report(ranking, context, summaries, routes, temporary)
    temporary.replace(out_dir / "report.html")


def _write_whole(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".partial")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def _kept_members(jobs: list[MemberJob]) -> dict[int, dict[str, Any]]:
    """Members an earlier ranking left in the folders of these jobs that match them exactly
    (same fingerprint), by job index."""
    kept = {}
    for k, job in enumerate(jobs):
        path = job.folder / "summary.json"
        if not path.is_file():
            continue
        summary = json.loads(path.read_text(encoding="utf-8"))
        if summary.get("member_fingerprint") == member_fingerprint(job):
            kept[k] = summary
    return kept


def _screen(context: RankingContext, plan: CandidatePlan) -> ScreenedPlan:
    mean_speed = _mean_speed(context)
    try:
        moves = movements(context, plan)
    except ScenarioError as exc:
        raise ScenarioError(f"plan '{plan.name}': {exc}") from None
    signature = tuple(
        (m.origin, tuple(leg.name for leg in m.legs), tuple(d.name for d in m.destinations))
        for m in moves
    )
    screening = screen_plan(
        context.network,
        moves,
        walking_speed_m_s=mean_speed,
        edge_cost=context.edge_cost,
        plume=context.plume,
        speed_factor=context.speed_factor,
    )
    return ScreenedPlan(plan, screening, passages_used(context, plan, screening.routes), signature)


def _distinct(screened: list[ScreenedPlan]) -> list[ScreenedPlan]:
    """Plans that send everyone the same way as an earlier plan are left out."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for item in screened:
        if item.signature not in seen:
            seen.add(item.signature)
            out.append(item)
    return out


def _mean_speed(context: RankingContext) -> float:
    shares = context.setup.demography
    return float(
        sum(
            getattr(shares, kind) * SPEEDS_M_S[kind][0]
            for kind in ("adults", "elderly", "children")
        )
    )


def choose_shortlist(
    screened: list[ScreenedPlan], size: int
) -> tuple[list[ScreenedPlan], list[dict[str, Any]]]:
    """Plans to simulate: the scenario's own plan (the reference a commander compares with) and
    every plan written by a person, then the best screened others up to `size`; a plan whose
    lower bound exceeds the best estimate while it exposes no fewer people cannot win and is
    dropped first. Returns (short list, dropped plans with the reason)."""
    best_time = min(s.screening.estimated_t95_s for s in screened)
    best_harm = min(_screened_harm(s) for s in screened)

    def hopeless(item: ScreenedPlan) -> bool:
        return item.screening.lower_bound_s > best_time and _screened_harm(item) >= best_harm

    ordered = sorted(
        screened, key=lambda s: (hopeless(s), _screened_harm(s), s.screening.estimated_t95_s)
    )
    chosen = [s for s in screened if s.plan.kind in ("scenario", "hand-written")]
    for item in ordered:
        if len(chosen) >= size:
            break
        if item not in chosen and not hopeless(item):
            chosen.append(item)
    dropped = []
    for item in ordered:
        if item in chosen:
            continue
        reason = (
            f"cannot win: its lower bound ({item.screening.lower_bound_s:.0f} s) is above the "
            f"best estimated clearance ({best_time:.0f} s) and it exposes no fewer people"
            if hopeless(item)
            else "not short-listed: other plans screened better"
        )
        dropped.append(
            {
                "name": item.plan.name,
                "kind": item.plan.kind,
                "via": item.via,
                **summarise(item.screening),
                "reason": reason,
            }
        )
    return chosen, dropped


def _screened_harm(item: ScreenedPlan) -> tuple[float, float]:
    s = item.screening
    return (round(s.estimated_fatalities, 1), round(s.estimated_above_aegl2, -1))


def interval(values: list[float], *, upper: float = math.inf) -> dict[str, float | None]:
    """Mean and the 95 % confidence interval of the mean (Student t; the metrics are never
    negative, so neither is the interval, and it ends at `upper`, e.g. the number of people).
    One run gives no interval: its ends are None."""
    data = np.asarray(values, dtype=float)
    mean = float(data.mean())
    if data.size < 2:
        return {"mean": round(mean, 2), "ci_low": None, "ci_high": None}
    half = float(stats.t.ppf(0.975, data.size - 1) * data.std(ddof=1) / math.sqrt(data.size))
    return {
        "mean": round(mean, 2),
        "ci_low": round(max(mean - half, 0.0), 2),
        "ci_high": round(min(mean + half, upper), 2),
    }


def clearance_text(entry: dict[str, Any]) -> str:
    """A ranked plan's T95 in a line (see `compare.t95_parts`)."""
    value, remark = t95_parts(entry)
    return f"T95 {value}" + (f" ({remark})" if remark else "")


def build_ranking(
    scenario: Scenario,
    context: RankingContext,
    chosen: list[ScreenedPlan],
    dropped: list[dict[str, Any]],
    summaries: list[dict[str, Any]],
    *,
    seeds: int,
) -> dict[str, Any]:
    """The ranking document (see the module docstring for the order)."""
    people = sum(o.count for o in context.origins)
    plans = []
    for item in chosen:
        mine = [s for s in summaries if s["plan"] == item.plan.name]
        t95 = [s["t95_s"] if s["t95_s"] is not None else s["simulated_time_s"] for s in mine]
        entry: dict[str, Any] = {
            "name": item.plan.name,
            "kind": item.plan.kind,
            "description": item.plan.description,
            "via": item.via,
            "lower_bound_s": round(item.screening.lower_bound_s, 1),
            "screening": summarise(item.screening),
            "seeds": [s["seed"] for s in mine],
            "t95_s": interval(t95),
            "censored_seeds": sum(s["t95_s"] is None for s in mine),
            "lower_bound_holds": all(item.screening.lower_bound_s <= t for t in t95),
            "rules": _rules(item.plan),
        }
        for metric in METRICS[1:]:
            bound = people if metric in _COUNTS_OF_PEOPLE else math.inf
            entry[metric] = interval([float(s.get(metric, 0.0)) for s in mine], upper=bound)
        entry["evacuated"] = interval([float(s["evacuated"]) for s in mine], upper=people)
        entry["per_seed"] = {
            "harm": [
                float(s.get("expected_fatalities", 0.0)) + float(s.get("casualties", 0.0))
                for s in mine
            ],
            "exposed_above_aegl2": [float(s.get("exposed_above_aegl2", 0.0)) for s in mine],
            "t95_s": [float(t) for t in t95],
            "t95_reached": [s["t95_s"] is not None for s in mine],
            "evacuated": [float(s["evacuated"]) for s in mine],
        }
        plans.append(entry)
    plans.sort(key=order_key)
    _mark_pareto(plans)
    attach_gaps(plans)
    for rank, entry in enumerate(plans, start=1):
        entry["rank"] = rank
        entry["explanation"] = explain(entry, plans, rank)
    ordered = [{"rank": p.pop("rank"), **p} for p in plans]
    return {
        "scenario": scenario.name,
        "source": scenario.source,
        "criterion": "expected fatalities + casualties, then people above AEGL-2, then T95, "
        "then people out by the end",
        "summary": what_decides(ordered),
        "seeds_per_plan": seeds,
        "people": people,
        "situation": situation_of(scenario),
        "plans": ordered,
        "screened_out": dropped,
    }


def screening_ranking(
    scenario: Scenario, context: RankingContext, chosen: list[ScreenedPlan],
    dropped: list[dict[str, Any]], *, seeds: int, runs: int,
) -> dict[str, Any]:  # fmt: skip
    """The short list in the order the network screening expects (estimated dead, then people
    above AEGL-2 to the nearest ten, then the estimated T95), before any run of the crowd
    engine: a first answer within a minute, marked `"state": "screening"`. The screening has no
    spill-back of queues; its numbers are rough where queues form."""

    def expected(item: ScreenedPlan) -> tuple[float, float, float]:
        estimate = item.screening.estimated_t95_s
        return (*_screened_harm(item), estimate if math.isfinite(estimate) else math.inf)

    plans = []
    for rank, item in enumerate(sorted(chosen, key=expected), start=1):
        numbers = summarise(item.screening)
        plans.append(
            {
                "rank": rank,
                "name": item.plan.name,
                "kind": item.plan.kind,
                "description": item.plan.description,
                "via": item.via,
                "lower_bound_s": round(item.screening.lower_bound_s, 1),
                "screening": numbers,
                "rules": _rules(item.plan),
                "explanation": _screening_text(numbers),
            }
        )
    return {
        "scenario": scenario.name,
        "source": scenario.source,
        "criterion": "screening estimate (network model): estimated dead, then people above "
        "AEGL-2, then T95",
        "summary": "Not simulated yet: the order the network screening expects, for the first "
        "minutes; the crowd engine's runs follow.",
        "seeds_per_plan": 0,
        "people": sum(o.count for o in context.origins),
        "situation": situation_of(scenario),
        "plans": plans,
        "screened_out": dropped,
        "status": {"state": "screening", "seeds": seeds, "runs": runs},
        "rounds": [],
        "order_unchanged_since_seeds": None,
    }


def _rules(plan: CandidatePlan) -> list[dict[str, Any]]:
    return [{"from": r.origin, "via": list(r.via), "to": r.destination} for r in plan.rules]


def _screening_text(numbers: dict[str, Any]) -> str:
    """A screened plan's estimates in a sentence (see `screening.summarise`)."""
    estimate = numbers["estimated_t95_s"]
    clearance = f"{estimate:.0f} s" if estimate is not None else "unknown (no way out for some)"
    where = f"; its bottleneck is {numbers['bottleneck']}" if numbers["bottleneck"] else ""
    return (
        f"Screening estimate, not simulated: T95 about {clearance}, about "
        f"{numbers['estimated_above_aegl2']} people above AEGL-2{where}."
    )


def what_decides(plans: list[dict[str, Any]]) -> str:
    """One sentence on what set the order this time (it changes with the hazard and weather)."""
    if len(plans) < 2:
        return "Only one plan was simulated."
    deciding = [_deciding_metric(a, b) for a, b in itertools.pairwise(plans)]
    counts = {m: deciding.count(m) for m in dict.fromkeys(deciding)}
    main = max(counts, key=lambda m: counts[m])
    exposed = any(p["exposed_above_aegl2"]["mean"] > 0 for p in plans)
    harmed = any(harm(p) > 0 for p in plans)
    if main == "t95_s":
        why = (
            "nobody is hurt and nobody breathes more than AEGL-2 under any plan"
            if not exposed and not harmed
            else "the plans expose and hurt about as many people"
        )
        return f"The clearance time decides the order: {why}."
    if main == "evacuated":
        return (
            "No plan gets 95 % of the people out within the scenario's duration and the plans "
            "expose about as many people: the number out by the end decides the order."
        )
    if main == "exposed_above_aegl2":
        best, worst = plans[0], max(plans, key=lambda p: p["exposed_above_aegl2"]["mean"])
        return (
            "Exposure to the gas decides the order: from "
            f"{best['exposed_above_aegl2']['mean']:.0f} people above AEGL-2 ('{best['name']}') "
            f"to {worst['exposed_above_aegl2']['mean']:.0f} ('{worst['name']}'); "
            "plans that walk people through the plume rank last, however fast they are."
        )
    return "The expected number of dead and hurt decides the order."


def order_key(entry: dict[str, Any]) -> tuple[float, float, float, float]:
    """Harm, then exposure, then T95, then (when T95 ties, e.g. nobody reached 95 %) the most
    people out by the end."""
    return (
        round(harm(entry) / HARM_TIE) * HARM_TIE,
        math.floor(entry["exposed_above_aegl2"]["mean"] + 0.5),  # whole people
        entry["t95_s"]["mean"],
        -entry["evacuated"]["mean"],
    )


def _mark_pareto(plans: list[dict[str, Any]]) -> None:
    """A plan is on the Pareto front when no other plan is at least as good on harm, exposure,
    T95 and peak density, and better on one."""

    def point(p: dict[str, Any]) -> tuple[float, ...]:
        return (
            harm(p),
            p["exposed_above_aegl2"]["mean"],
            p["t95_s"]["mean"],
            p["max_density_per_m2"]["mean"],
        )

    for plan in plans:
        mine = point(plan)
        plan["pareto"] = not any(
            all(a <= b for a, b in zip(point(other), mine, strict=True)) and point(other) != mine
            for other in plans
            if other is not plan
        )


def explain(entry: dict[str, Any], plans: list[dict[str, Any]], rank: int) -> str:
    """One sentence: why this plan ranks where it does, and how sure that is (the plans in rank
    order, with their gaps attached: see `attach_gaps`)."""
    exposed = entry["exposed_above_aegl2"]
    expected_harm = harm(entry)
    facts = (
        clearance_text(entry)
        + (f", {exposed['mean']:.0f} people above AEGL-2" if exposed["mean"] > 0 else "")
        + (f", {expected_harm:.1f} expected dead or hurt" if expected_harm > 0 else "")
    )
    bottleneck = entry["screening"]["bottleneck"]
    where = f"; its bottleneck is {bottleneck}" if bottleneck else ""
    if rank == 1:
        certain = ""
        if len(plans) > 1:
            gap = plans[1]["behind_plan_above"]
            if gap["ci_low"] is None:
                certain = " (one run per plan, no intervals yet: the order is not certain)"
            elif gap["certain"]:
                certain = f" (clearly ahead of the next plan: {gap_text(gap)})"
            else:
                certain = (
                    f" (not clearly ahead of the next plan on {_words(gap['metric'])}: "
                    f"{gap_text(gap)}; the order of the top plans is not certain)"
                )
        return f"Ranks first: {facts}{where}{certain}."
    above = plans[rank - 2]
    gap = entry["behind_plan_above"]
    metric = gap["metric"]
    mine, theirs = _value(entry, metric), _value(above, metric)
    if gap["ci_low"] is None:
        certain = " (one run each, no intervals yet)"
    else:
        certain = f" ({'clearly' if gap['certain'] else 'not clearly'}: {gap_text(gap)})"
    return (
        f"Ranks {rank} behind '{above['name']}' on {_words(metric)}: {mine:.0f} against "
        f"{theirs:.0f}{certain}; {facts}{where}."
    )


def attach_gaps(plans: list[dict[str, Any]]) -> None:
    """Give every plan below the first, in rank order, its `behind_plan_above` (`paired_gap`
    to the plan directly above it), which `explain` reads."""
    for above, entry in itertools.pairwise(plans):
        entry["behind_plan_above"] = paired_gap(above, entry)


def paired_gap(better: dict[str, Any], worse: dict[str, Any]) -> dict[str, Any]:
    """How far `worse` lies behind `better` on the metric that decides between them, seed by
    seed: the mean of the per-seed differences (positive: worse is worse) with its 95 %
    interval (Student t; None from one common seed), and `certain` when the interval lies
    wholly above zero. Both plans ran the same seeds, so each difference compares the same
    crowd under the two plans (common random numbers).

    A T95 that a run did not reach within its duration counts as the duration, which is too
    low. Seeds where only `worse` fell short (`lower_bound_seeds`) give a difference that is too
    small, so "clearly behind" stands. Seeds where `better` fell short (`unknown_seeds`) give a
    difference that is not known, and the gap is then never `certain`."""
    metric = _deciding_metric(better, worse)
    sign = -1.0 if metric == "evacuated" else 1.0  # more people out is better
    theirs = dict(zip(better["seeds"], _seed_values(better, metric), strict=True))
    pairs = [
        (sign * (value - theirs[seed][0]), reached, theirs[seed][1])
        for seed, (value, reached) in zip(worse["seeds"], _seed_values(worse, metric), strict=True)
        if seed in theirs
    ]
    data = np.asarray([difference for difference, _, _ in pairs], dtype=float)
    unknown = sum(not theirs_reached for _, _, theirs_reached in pairs)
    low = high = None
    if data.size >= 2:
        half = float(stats.t.ppf(0.975, data.size - 1) * data.std(ddof=1) / math.sqrt(data.size))
        low, high = round(float(data.mean()) - half, 2), round(float(data.mean()) + half, 2)
    return {
        "plan": better["name"],
        "metric": metric,
        "mean": round(float(data.mean()), 2) if data.size else None,
        "ci_low": low,
        "ci_high": high,
        "paired_seeds": int(data.size),
        "lower_bound_seeds": sum(not mine and ok for _, mine, ok in pairs),
        "unknown_seeds": unknown,
        "certain": bool(low is not None and low > 0.0 and unknown == 0),
    }


def _seed_values(entry: dict[str, Any], metric: str) -> list[tuple[float, bool]]:
    """A plan's per-seed values of a metric, each with whether it is the true value (False only
    for a T95 the run did not reach; rankings written before 2026-12-06 do not say: True)."""
    values = entry["per_seed"][metric]
    reached = entry["per_seed"].get("t95_reached") if metric == "t95_s" else None
    return list(zip(values, reached or [True] * len(values), strict=True))


def gap_text(gap: dict[str, Any]) -> str:
    """A paired gap in words, e.g. "by 52 [17, 87] people above AEGL-2, seed by seed over the
    same 5 crowds", with a remark when some seeds' T95 was not reached."""
    unit = {"harm": "expected dead and hurt", "exposed_above_aegl2": "people above AEGL-2",
            "t95_s": "s of T95", "evacuated": "people fewer out"}[gap["metric"]]  # fmt: skip
    digits = 1 if gap["metric"] == "harm" else 0
    text = (
        f"by {gap['mean']:.{digits}f} [{gap['ci_low']:.{digits}f}, {gap['ci_high']:.{digits}f}] "
        f"{unit}, seed by seed over the same {gap['paired_seeds']} crowds"
    )
    unknown, lower = gap.get("unknown_seeds", 0), gap.get("lower_bound_seeds", 0)
    if unknown:
        text += (
            f"; in {unknown} of them the plan above did not get 95 % out within the run, so "
            "the difference there is not known"
        )
    elif lower:
        text += (
            f"; in {lower} of them this plan did not get 95 % out within the run, so it lies "
            "further behind than that"
        )
    return text


def _deciding_metric(better: dict[str, Any], worse: dict[str, Any]) -> str:
    a, b = order_key(better), order_key(worse)
    metrics = ("harm", "exposed_above_aegl2", "t95_s", "evacuated")
    for metric, x, y in zip(metrics, a, b, strict=True):
        if x != y:
            return metric
    return "t95_s"


def _value(entry: dict[str, Any], metric: str) -> float:
    return harm(entry) if metric == "harm" else float(entry[metric]["mean"])


def _words(metric: str) -> str:
    return {
        "harm": "expected dead and hurt",
        "exposed_above_aegl2": "people above AEGL-2",
        "t95_s": "T95 clearance time (s)",
        "evacuated": "people out by the end of the run",
    }[metric]


def _slug(name: str) -> str:
    keep = "".join(c if c.isalnum() else "_" for c in name.lower())
    return "_".join(part for part in keep.split("_") if part)[:60] or "plan"
