"""The `evac` command line: thin parsing and printing over the library.

Every error the tool raises on purpose (`EvacError`) ends the command with exit code 2 and one
line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from evac.errors import EvacError

if TYPE_CHECKING:  # the commands import what they need when they run (a quick --help)
    from scenarios.scenario_file import Scenario

EXIT_BAD_INPUT = 2


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (argparse prints the usage as well)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"evac: error: {self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The parser for all sub-commands."""
    parser = _OneLineParser(
        prog="evac", description="Crowd evacuation around the Doosan Arena, Plzeň."
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    city = commands.add_parser("city", help="load, inspect, map and download sites")
    city_commands = city.add_subparsers(
        dest="city_command", required=True, parser_class=_OneLineParser
    )

    def add_site_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--site",
            default="plzen",
            help="bundled site name (plzen) or path to .osm, .osm.bz2, .osm.gz, "
            ".osm.pbf or .graphml (default: plzen)",
        )
        sub.add_argument(
            "--places",
            type=Path,
            default=None,
            help="places file (TOML) naming sectors, gates, assembly areas...",
        )

    info = city_commands.add_parser("info", help="summarise a site")
    add_site_options(info)
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(handler=_city_info)

    map_ = city_commands.add_parser("map", help="draw a site to an image")
    add_site_options(map_)
    map_.add_argument("--out", type=Path, required=True, help="image file (.png, .svg, .pdf)")
    map_.add_argument("--dpi", type=int, default=110)
    map_.set_defaults(handler=_city_map)

    fetch = city_commands.add_parser("fetch", help="download an OSM extract around a point")
    fetch.add_argument("--point", required=True, help="LAT,LON of the centre")
    fetch.add_argument("--dist", type=float, required=True, help="half-size of the square (m)")
    fetch.add_argument("--out", type=Path, required=True, help="the .osm file to write")
    fetch.add_argument("--endpoint", default=None, help="Overpass API URL (default: osmnx's)")
    fetch.add_argument(
        "--cache-dir", type=Path, default=None, help="cache folder (default: osmnx's)"
    )
    fetch.set_defaults(handler=_city_fetch)

    run = commands.add_parser("run", help="run a scenario to a result folder")
    run.add_argument("scenario", help="scenario file (.toml) or the name of a shipped scenario")
    run.add_argument("--out", type=Path, required=True, help="result folder (replaced if present)")
    run.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's)")
    run.add_argument(
        "--situation", type=Path, default=None, metavar="FILE",
        help="counts on the ground (JSON) in place of a site scenario's planned crowd",
    )  # fmt: skip
    run.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a scenario value, e.g. agents.0.count=800 (repeatable)",
    )  # fmt: skip
    run.set_defaults(handler=_run)

    rank = commands.add_parser(
        "rank", help="rank evacuation plans for a site scenario (ranking.json, report.html)"
    )
    rank.add_argument("scenario", help="scenario file (.toml) or the name of a shipped scenario")
    rank.add_argument("--out", type=Path, required=True, help="result folder (replaced if present)")
    rank.add_argument("--seeds", type=int, default=None, help="runs per plan (default: 5)")
    rank.add_argument("--shortlist", type=int, default=None, help="plans simulated (default: 4)")
    rank.add_argument(
        "--situation", type=Path, default=None, metavar="FILE",
        help="counts on the ground (JSON): rank from them instead of the planned crowd",
    )  # fmt: skip
    rank.add_argument(
        "--no-generate", dest="generate", action="store_false", default=None,
        help="rank only the scenario's own and hand-written plans",
    )  # fmt: skip
    rank.add_argument(
        "--workers", type=int, default=None,
        help="local Dask worker processes (default: one per core; 0: no cluster)",
    )  # fmt: skip
    rank.add_argument(
        "--scheduler", default=None, help="address of a running Dask scheduler (tcp://host:port)"
    )
    rank.add_argument(
        "--resume", action="store_true",
        help="keep the runs an earlier ranking left in --out (same scenario, plan and seed)",
    )  # fmt: skip
    rank.add_argument(
        "--compare-with", type=Path, default=None, metavar="RANKING",
        help="another ranking (its folder or ranking.json): say how the order changed and why",
    )  # fmt: skip
    rank.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a scenario value (repeatable)",
    )  # fmt: skip
    rank.set_defaults(handler=_rank)

    verify = commands.add_parser("verify", help="run the RiMEA verification tests (no stairs)")
    verify.add_argument("--tests", default=None, help="comma-separated test numbers (default: all)")
    verify.add_argument("--seed", type=int, default=0)
    verify.add_argument("--json", action="store_true", help="print one JSON object")
    verify.set_defaults(handler=_verify)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            # Library warnings (pyrosm, osmnx) are noise for a planner; our own checks raise.
            warnings.simplefilter("ignore")
            args.handler(args)
    except EvacError as exc:
        print(f"evac: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _load(args: argparse.Namespace) -> Any:
    from city_data import load_site

    return load_site(args.site, places=args.places)


def _city_info(args: argparse.Namespace) -> None:
    from city_data.walk_network import largest_component_share

    site = _load(args)
    x0, y0, x1, y1 = site.walkable_area.bounds
    summary: dict[str, Any] = {
        "name": site.name,
        "source": site.source,
        "approximate": site.approximate,
        "crs": site.crs,
        "extent_m": [round(x1 - x0, 1), round(y1 - y0, 1)],
        "walkable_area_m2": round(site.walkable_area.area, 1),
        "walk_graph_nodes": site.walk_graph.number_of_nodes(),
        "walk_graph_edges": site.walk_graph.number_of_edges(),
        "walk_graph_largest_component_share": round(largest_component_share(site.walk_graph), 4),
        "places": [place.as_dict() for place in site.places],
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    kinds: dict[str, int] = {}
    for place in site.places:
        kinds[place.kind.value] = kinds.get(place.kind.value, 0) + 1
    print(
        f"site            {site.name}"
        + ("  (APPROXIMATE map built from public facts)" if site.approximate else "")
    )
    print(f"source          {site.source}")
    print(f"frame           {site.crs}")
    print(f"extent          {summary['extent_m'][0]:.0f} m x {summary['extent_m'][1]:.0f} m")
    print(f"walkable area   {site.walkable_area.area:,.0f} m²")
    print(
        f"walk network    {summary['walk_graph_nodes']} nodes, {summary['walk_graph_edges']} edges "
        f"({summary['walk_graph_largest_component_share']:.1%} in the largest connected part)"
    )
    print("places          " + ", ".join(f"{count} {kind}" for kind, count in kinds.items()))


def _city_map(args: argparse.Namespace) -> None:
    from visualise.site_map import save_site_map

    site = _load(args)
    written = save_site_map(site, args.out, dpi=args.dpi)
    print(f"map written to {written}")


def _city_fetch(args: argparse.Namespace) -> None:
    from city_data.fetch import fetch_osm

    try:
        lat_text, lon_text = args.point.split(",")
        lat, lon = float(lat_text), float(lon_text)
    except ValueError:
        raise EvacError(f"--point must be LAT,LON in degrees, got '{args.point}'") from None
    written = fetch_osm(
        lat=lat,
        lon=lon,
        dist_m=args.dist,
        out=args.out,
        endpoint=args.endpoint,
        cache_dir=args.cache_dir,
    )
    print(f"OSM extract written to {written}")


def _with_situation(scenario: Scenario, args: argparse.Namespace) -> Scenario:
    """The scenario under the --situation file's counts, if one is given."""
    from scenarios.situation import load_situation, with_situation

    if args.situation is None:
        return scenario
    return with_situation(scenario, load_situation(args.situation))


def _run(args: argparse.Namespace) -> None:
    from experiments.single_run import run_scenario, times_text
    from scenarios.scenario_file import load_scenario

    scenario = _with_situation(load_scenario(args.scenario, overrides=args.overrides), args)
    summary = run_scenario(scenario, args.out, seed=args.seed)
    print(
        f"{summary['scenario']}: {summary['evacuated']}/{summary['agents_total']} out; "
        f"{times_text(summary, 't50_s', 't95_s', 't100_s')}; "
        f"max density {summary['max_density_per_m2']}/m²; results in {args.out}"
    )


def _rank(args: argparse.Namespace) -> None:
    from experiments.ranking.compare import load_ranking
    from experiments.ranking.rank import clearance_text, rank_scenario
    from scenarios.scenario_file import load_scenario

    for option in ("seeds", "shortlist"):
        value = getattr(args, option)
        if value is not None and value < 1:
            raise EvacError(f"--{option} must be at least 1, got {value}")
    if args.workers is not None and args.workers < 0:
        raise EvacError(f"--workers must be 0 or more, got {args.workers}")
    other = load_ranking(args.compare_with) if args.compare_with is not None else None
    scenario = _with_situation(load_scenario(args.scenario, overrides=args.overrides), args)
    ranking = rank_scenario(
        scenario, args.out, seeds=args.seeds, shortlist=args.shortlist, generate=args.generate,
        workers=args.workers, scheduler=args.scheduler, resume=args.resume, compare_with=other,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )  # fmt: skip
    for plan in ranking["plans"]:
        exposed = plan["exposed_above_aegl2"]["mean"]
        print(
            f"{plan['rank']}. {plan['name']}: {clearance_text(plan)}, "
            f"above AEGL-2 {exposed:.0f}, lower bound {plan['lower_bound_s']:.0f} s"
        )
    if "compared_with" in ranking:
        print(ranking["compared_with"]["summary"])
    print(f"ranking in {args.out / 'ranking.json'}, report in {args.out / 'report.html'}")


def _verify(args: argparse.Namespace) -> None:
    from experiments.rimea import TESTS, run_tests

    numbers = None
    if args.tests:
        try:
            numbers = [int(n) for n in args.tests.split(",")]
        except ValueError:
            raise EvacError(
                f"--tests must be numbers separated by commas, got '{args.tests}'"
            ) from None
        unknown = sorted(set(numbers) - set(TESTS))
        if unknown:
            raise EvacError(
                f"no RiMEA test {unknown[0]} here (available: {', '.join(map(str, TESTS))})"
            )
    results = run_tests(numbers, seed=args.seed)
    if args.json:
        print(
            json.dumps(
                {"seed": args.seed, "tests": [r.as_dict() for r in results]}, ensure_ascii=False
            )
        )
        return
    for r in results:
        print(f"RiMEA {r.test:>2}  {'PASS' if r.passed else 'FAIL'}  {r.title}")
        print(f"{'':>14}criterion: {r.criterion}")
        print(f"{'':>14}measured:  {r.measured}")
    passed = sum(r.passed for r in results)
    print(f"{passed} passed, {len(results) - passed} failed")


if __name__ == "__main__":
    sys.exit(main())
