"""Scenario files (TOML): a venue, who is where, what to measure; validated on load.

Every error names the key, the value and what was expected. `--set key=value` overrides use dotted
keys (`agents.0.count=800`, `scenario.seed=3`) and TOML values.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from evac.errors import ScenarioError
from scenarios import checks
from scenarios.ammonia_hazard import AmmoniaSettings, parse_ammonia
from scenarios.attack import AttackSettings, parse_attack
from scenarios.ranking_settings import RankingSettings, parse_ranking
from scenarios.site_scenario import SiteScenario, parse_site_scenario
from simulator.simulation import MODELS

LIBRARY = Path(__file__).parent / "library"


@dataclass(frozen=True)
class AgentGroup:
    """`count` people placed at random in `area` (metres), optionally bound for one exit."""

    area: Polygon
    count: int
    exit: int | None = None
    desired_speed: float | None = None


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: run settings, and either a drawn venue (walkable area, exits and
    agent groups in metres) or a real site (`site`: population, response plan, closures)."""

    name: str
    description: str
    walkable_area: BaseGeometry | None
    exits: tuple[Polygon, ...]
    agents: tuple[AgentGroup, ...]
    measurement_lines: dict[str, LineString]
    duration_s: float
    dt: float
    seed: int
    model: str
    trajectory_every_nth_frame: int
    source: str
    site: SiteScenario | None = None
    routing: str = "static"
    """"static" (each target's floor field as computed) or "crowd_aware" (fields recomputed
    with the crowd's density as a cost: `simulator.CrowdAwareRouting`; drawn venues only)."""
    ammonia: AmmoniaSettings | None = None
    attack: AttackSettings | None = None
    ranking: RankingSettings | None = None


_TOP_KEYS = {"scenario", "venue", "agents", "measurement_lines", "site", "population", "plan",
             "closures", "ammonia", "attack", "ranking"}  # fmt: skip
_SCENARIO_KEYS = {"name", "description", "duration_s", "dt", "seed", "model", "routing",
                  "trajectory_every_nth_frame", "extends"}  # fmt: skip
ROUTINGS = ("static", "crowd_aware")
_VENUE_KEYS = {"walkable_area", "exits"}
_AGENT_KEYS = {"area", "count", "exit", "desired_speed"}
_LINE_KEYS = {"name", "line"}
_SITE_SECTIONS = ("site", "population", "plan", "closures")


def resolve_scenario_path(name_or_path: str) -> Path:
    """A path as given, or the shipped scenario of that name in scenarios/library/."""
    path = Path(name_or_path)
    if path.exists():
        return path
    shipped = LIBRARY / f"{name_or_path}.toml"
    if shipped.exists():
        return shipped
    names = ", ".join(sorted(p.stem for p in LIBRARY.glob("*.toml")))
    raise ScenarioError(
        f"no scenario file or shipped scenario named '{name_or_path}' (shipped: {names})"
    )


def load_scenario(name_or_path: str, *, overrides: Sequence[str] = ()) -> Scenario:
    """Read, override and validate a scenario file.

    `scenario.extends = "NAME"` starts from another scenario (a shipped name or a path relative
    to this file): its tables are merged key by key, and lists of tables given here replace
    the base's lists.
    """
    path = resolve_scenario_path(name_or_path)
    document = _read_with_base(path, seen=())
    for override in overrides:
        apply_override(document, override)
    return parse_scenario(document, source=str(path))


def _read_with_base(path: Path, *, seen: tuple[Path, ...]) -> dict[str, Any]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path} is not valid TOML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read {path}: {exc}") from exc
    settings = document.get("scenario", {})
    base = settings.pop("extends", None) if isinstance(settings, dict) else None
    if base is None:
        return document
    if not isinstance(base, str) or not base:
        raise ScenarioError(f"scenario.extends must be a scenario name or path, got {base!r}")
    relative = path.parent / base
    base_path = relative if relative.is_file() else resolve_scenario_path(base)
    if base_path.resolve() in seen or base_path.resolve() == path.resolve():
        raise ScenarioError(f"scenario.extends: '{base}' extends itself")
    merged = _read_with_base(base_path, seen=(*seen, path.resolve()))
    _merge(merged, document)
    return merged


def _merge(base: dict[str, Any], changes: Mapping[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value


def apply_override(document: dict[str, Any], override: str) -> None:
    """Set one dotted key from `key=value` (the value in TOML syntax; bare words are text)."""
    key, sep, text = override.partition("=")
    if not sep or not key:
        raise ScenarioError(f"--set expects key=value, got '{override}'")
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    parts = key.strip().split(".")
    target: Any = document
    for depth, part in enumerate(parts[:-1]):
        where = ".".join(parts[: depth + 1])
        if isinstance(target, list):
            if not part.isdigit() or int(part) >= len(target):
                raise ScenarioError(f"--set {key}: '{where}' is not an index of the list")
            target = target[int(part)]
        elif isinstance(target, dict):
            if part not in target:
                raise ScenarioError(f"--set {key}: no key '{where}' in the scenario")
            target = target[part]
    last = parts[-1]
    if isinstance(target, list):
        raise ScenarioError(f"--set {key}: give an index and a key inside the list")
    target[last] = value


def parse_scenario(document: Mapping[str, Any], *, source: str) -> Scenario:
    """Validate a scenario document (the parsed TOML)."""
    checks.check_keys(document, "the file", allowed=_TOP_KEYS)
    settings = checks.table(document, "scenario", "scenario", allowed=_SCENARIO_KEYS)
    if "ammonia" in document and "attack" in document:
        # Both set the engine's route cost and speed factors; the last one would silently win.
        raise ScenarioError(
            "a scenario takes one hazard: [ammonia] or [attack], not both (combined hazards are "
            "not modelled yet)"
        )
    on_site = "site" in document
    if on_site and ("venue" in document or "agents" in document):
        raise ScenarioError("a scenario takes either [site] or [venue] with [[agents]], not both")
    if not on_site:
        for section in _SITE_SECTIONS[1:]:
            if section in document:
                raise ScenarioError(f"[{section}] needs a [site] (it names places on a map)")
    walkable, exits, groups = (None, (), ()) if on_site else _drawn_venue(document)
    routing = checks.choice(settings, "routing", "scenario", ROUTINGS, default="static")
    if on_site and routing == "crowd_aware":
        # Measured on the bundled site (2,284 x 1,904 cells): 2.2 s per update, every 0.5 s.
        raise ScenarioError(
            'scenario.routing = "crowd_aware" is for drawn venues: on a site\'s city raster one '
            "update of the routes takes about 2 s and is due every 0.5 s of simulated time"
        )
    lines: dict[str, LineString] = {}
    for index, entry in enumerate(
        checks.tables(document, "measurement_lines", "measurement_lines", allowed=_LINE_KEYS)
    ):
        where = f"measurement_lines[{index}]"
        name = checks.text(entry, "name", where)
        line = checks.geometry(entry.get("line"), f"{where}.line", polygonal=False)
        if not isinstance(line, LineString) or len(line.coords) != 2:
            raise ScenarioError(f"{where}.line must be a LINESTRING of two points, got {line.wkt}")
        lines[name] = line
    return Scenario(
        name=checks.text(settings, "name", "scenario", default=Path(source).stem),
        description=checks.text(settings, "description", "scenario", default=""),
        walkable_area=walkable,
        exits=exits,
        agents=groups,
        measurement_lines=lines,
        duration_s=checks.number(settings, "duration_s", "scenario", 1.0, 86_400.0, default=600.0),
        dt=checks.number(settings, "dt", "scenario", 0.001, 0.5, default=0.05),
        seed=int(
            checks.number(settings, "seed", "scenario", 0, 2**31 - 1, default=0, integer=True)
        ),
        model=checks.choice(settings, "model", "scenario", MODELS, default="cfsm"),
        trajectory_every_nth_frame=int(
            checks.number(
                settings, "trajectory_every_nth_frame", "scenario", 1, 1000, default=4, integer=True
            )
        ),
        source=source,
        routing=routing,
        site=parse_site_scenario(document) if on_site else None,
        ammonia=parse_ammonia(document),
        attack=parse_attack(document),
        ranking=parse_ranking(document),
    )


def _drawn_venue(
    document: Mapping[str, Any],
) -> tuple[BaseGeometry, tuple[Polygon, ...], tuple[AgentGroup, ...]]:
    venue = checks.table(document, "venue", "venue", allowed=_VENUE_KEYS)
    walkable = checks.geometry(venue.get("walkable_area"), "venue.walkable_area", polygonal=True)
    raw_exits = venue.get("exits")
    if not isinstance(raw_exits, list) or not raw_exits:
        raise ScenarioError(f"venue.exits must be a non-empty list of polygons, got {raw_exits!r}")
    exits = tuple(
        checks.polygon(checks.geometry(e, f"venue.exits[{i}]", polygonal=True), f"venue.exits[{i}]")
        for i, e in enumerate(raw_exits)
    )
    raw_groups = checks.tables(document, "agents", "agents", allowed=_AGENT_KEYS)
    if not raw_groups:
        raise ScenarioError("agents must be at least one [[agents]] table")
    groups = []
    for index, group in enumerate(raw_groups):
        where = f"agents[{index}]"
        area = checks.polygon(
            checks.geometry(group.get("area"), f"{where}.area", polygonal=True), f"{where}.area"
        )
        count = group.get("count")
        if not (isinstance(count, int) and not isinstance(count, bool) and 0 < count <= 200_000):
            raise ScenarioError(f"{where}.count must be an integer 1..200000, got {count!r}")
        exit_index = group.get("exit")
        if exit_index is not None and not (
            isinstance(exit_index, int) and 0 <= exit_index < len(exits)
        ):
            raise ScenarioError(
                f"{where}.exit must be an exit index 0..{len(exits) - 1}, got {exit_index!r}"
            )
        speed = group.get("desired_speed")
        if speed is not None and not (isinstance(speed, int | float) and 0.1 <= speed <= 5):
            raise ScenarioError(f"{where}.desired_speed must be in 0.1..5 m/s, got {speed!r}")
        groups.append(AgentGroup(area, count, exit_index, None if speed is None else float(speed)))
    return walkable, exits, tuple(groups)
