"""Scenario files (TOML): a venue, who is where, what to measure; validated on load.

Every error names the key, the value and what was expected. `--set key=value` overrides use dotted
keys (`agents.0.count=800`, `scenario.seed=3`) and TOML values.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import LineString, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from evac.errors import ScenarioError

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
    """A validated scenario: geometry in metres, people, measurement lines and run settings."""

    name: str
    description: str
    walkable_area: BaseGeometry
    exits: tuple[Polygon, ...]
    agents: tuple[AgentGroup, ...]
    measurement_lines: dict[str, LineString]
    duration_s: float
    dt: float
    seed: int
    model: str
    trajectory_every_nth_frame: int
    source: str


_SCHEMA: dict[str, set[str]] = {
    "": {"scenario", "venue", "agents", "measurement_lines"},
    "scenario": {"name", "description", "duration_s", "dt", "seed", "model",
                 "trajectory_every_nth_frame"},
    "venue": {"walkable_area", "exits"},
    "agents": {"area", "count", "exit", "desired_speed"},
    "measurement_lines": {"name", "line"},
}  # fmt: skip


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
    """Read, override and validate a scenario file."""
    path = resolve_scenario_path(name_or_path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path} is not valid TOML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read {path}: {exc}") from exc
    for override in overrides:
        apply_override(document, override)
    return parse_scenario(document, source=str(path))


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
    _check_keys(document, "")
    settings = _table(document, "scenario")
    _check_keys(settings, "scenario")
    venue = _table(document, "venue")
    _check_keys(venue, "venue")
    walkable = _geometry(venue.get("walkable_area"), "venue.walkable_area", polygonal=True)
    raw_exits = venue.get("exits")
    if not isinstance(raw_exits, list) or not raw_exits:
        raise ScenarioError(f"venue.exits must be a non-empty list of polygons, got {raw_exits!r}")
    exits = tuple(
        _polygon(_geometry(e, f"venue.exits[{i}]", polygonal=True), f"venue.exits[{i}]")
        for i, e in enumerate(raw_exits)
    )
    groups = []
    raw_groups = document.get("agents", [])
    if not isinstance(raw_groups, list) or not raw_groups:
        raise ScenarioError("agents must be at least one [[agents]] table")
    for index, group in enumerate(raw_groups):
        where = f"agents[{index}]"
        _check_keys(group, "agents", where)
        area = _polygon(
            _geometry(group.get("area"), f"{where}.area", polygonal=True), f"{where}.area"
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
    lines: dict[str, LineString] = {}
    for index, entry in enumerate(document.get("measurement_lines", [])):
        where = f"measurement_lines[{index}]"
        _check_keys(entry, "measurement_lines", where)
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ScenarioError(f"{where}.name must be a non-empty string, got {name!r}")
        line = _geometry(entry.get("line"), f"{where}.line", polygonal=False)
        if not isinstance(line, LineString) or len(line.coords) != 2:
            raise ScenarioError(f"{where}.line must be a LINESTRING of two points, got {line.wkt}")
        lines[name] = line
    return Scenario(
        name=_string(settings, "name", "scenario", default=Path(source).stem),
        description=_string(settings, "description", "scenario", default=""),
        walkable_area=walkable,
        exits=exits,
        agents=tuple(groups),
        measurement_lines=lines,
        duration_s=_number(settings, "duration_s", 1.0, 86_400.0, default=600.0),
        dt=_number(settings, "dt", 0.001, 0.5, default=0.05),
        seed=int(_number(settings, "seed", 0, 2**31 - 1, default=0, integer=True)),
        model=_string(settings, "model", "scenario", default="cfsm"),
        trajectory_every_nth_frame=int(
            _number(settings, "trajectory_every_nth_frame", 1, 1000, default=4, integer=True)
        ),
        source=source,
    )


def _check_keys(table: Any, kind: str, where: str | None = None) -> None:
    where = where or kind or "the file"
    if not isinstance(table, Mapping):
        raise ScenarioError(f"{where} must be a table, got {table!r}")
    unknown = sorted(set(table) - _SCHEMA[kind])
    if unknown:
        raise ScenarioError(
            f"{where}: unknown key '{unknown[0]}' "
            f"(expected one of: {', '.join(sorted(_SCHEMA[kind]))})"
        )


def _table(document: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    table = document.get(key, {})
    if not isinstance(table, Mapping):
        raise ScenarioError(f"[{key}] must be a table, got {table!r}")
    return table


def _geometry(value: Any, key: str, *, polygonal: bool) -> BaseGeometry:
    if isinstance(value, Mapping):
        try:
            geometry = shape(json.loads(json.dumps(value)))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ScenarioError(f"{key} is not valid GeoJSON: {exc}") from exc
    elif isinstance(value, str):
        try:
            geometry = shapely.from_wkt(value)
        except shapely.errors.ShapelyError as exc:
            raise ScenarioError(f"{key} is not valid WKT: {value[:60]!r}") from exc
    else:
        kind = "a polygon" if polygonal else "a line"
        raise ScenarioError(
            f"{key} must be {kind} as WKT text or a GeoJSON table (metres), got {value!r}"
        )
    if polygonal and geometry.geom_type not in {"Polygon", "MultiPolygon"}:
        raise ScenarioError(f"{key} must be a POLYGON or MULTIPOLYGON, got {geometry.geom_type}")
    if polygonal and not geometry.is_valid:
        raise ScenarioError(f"{key} is not a valid polygon: {explain_validity(geometry)}")
    return geometry


def _polygon(geometry: BaseGeometry, key: str) -> Polygon:
    if not isinstance(geometry, Polygon):
        raise ScenarioError(f"{key} must be a single POLYGON, got {geometry.geom_type}")
    return geometry


def _string(table: Mapping[str, Any], key: str, section: str, *, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ScenarioError(f"{section}.{key} must be text, got {value!r}")
    return value


def _number(
    table: Mapping[str, Any], key: str, low: float, high: float, *, default: float,
    integer: bool = False,
) -> float:  # fmt: skip
    value = table.get(key, default)
    kind = "an integer" if integer else "a number"
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type or not (low <= value <= high):
        raise ScenarioError(f"scenario.{key} must be {kind} in {low:g}..{high:g}, got {value!r}")
    return float(value)
