"""Checks for values read from scenario files: each failure names the key, the value and what
was expected, in one line."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import shapely
from shapely.geometry import Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from evac.errors import ScenarioError


def table(parent: Mapping[str, Any], key: str, where: str, *, allowed: set[str]) -> dict[str, Any]:
    """The sub-table `key` of `parent` ({} if absent), with no keys outside `allowed`."""
    value = parent.get(key, {})
    check_keys(value, where, allowed=allowed)
    return dict(value)


def tables(parent: Mapping[str, Any], key: str, where: str, *, allowed: set[str]) -> list[Any]:
    """The array of tables `key` of `parent` ([] if absent), each with no unknown keys."""
    value = parent.get(key, [])
    if not isinstance(value, list):
        raise ScenarioError(f"{where} must be a list of tables ([[{key}]]), got {value!r}")
    for index, entry in enumerate(value):
        check_keys(entry, f"{where}[{index}]", allowed=allowed)
    return value


def check_keys(value: Any, where: str, *, allowed: set[str]) -> None:
    """`value` must be a table whose keys are all in `allowed`."""
    if not isinstance(value, Mapping):
        raise ScenarioError(f"{where} must be a table, got {value!r}")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ScenarioError(
            f"{where}: unknown key '{unknown[0]}' (expected one of: {', '.join(sorted(allowed))})"
        )


def number(
    parent: Mapping[str, Any], key: str, where: str, low: float, high: float, *,
    default: float | None = None, integer: bool = False, unit: str = "",
) -> float:  # fmt: skip
    """A number in low..high (`default` if absent; required when the default is None)."""
    value = parent.get(key, default)
    kind = "an integer" if integer else "a number"
    ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
    if isinstance(value, bool) or not ok_type or not (low <= value <= high):
        suffix = f" {unit}" if unit else ""
        raise ScenarioError(
            f"{where}.{key} must be {kind} in {low:g}..{high:g}{suffix}, got {value!r}"
        )
    return float(value)


def text(parent: Mapping[str, Any], key: str, where: str, *, default: str | None = None) -> str:
    """A string (`default` if absent; required when the default is None)."""
    value = parent.get(key, default)
    if not isinstance(value, str) or (default is None and not value):
        raise ScenarioError(f"{where}.{key} must be text, got {value!r}")
    return value


def choice(
    parent: Mapping[str, Any], key: str, where: str, options: tuple[str, ...], *, default: str
) -> str:
    """One of `options`."""
    value = parent.get(key, default)
    if value not in options:
        raise ScenarioError(f"{where}.{key} must be one of {', '.join(options)}; got {value!r}")
    return str(value)


def geometry(value: Any, key: str, *, polygonal: bool) -> BaseGeometry:
    """A geometry in metres from WKT text or a GeoJSON table."""
    if isinstance(value, Mapping):
        try:
            result = shape(json.loads(json.dumps(value)))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ScenarioError(f"{key} is not valid GeoJSON: {exc}") from exc
    elif isinstance(value, str):
        try:
            result = shapely.from_wkt(value)
        except shapely.errors.ShapelyError as exc:
            raise ScenarioError(f"{key} is not valid WKT: {value[:60]!r}") from exc
    else:
        kind = "a polygon" if polygonal else "a line"
        raise ScenarioError(
            f"{key} must be {kind} as WKT text or a GeoJSON table (metres), got {value!r}"
        )
    if polygonal and result.geom_type not in {"Polygon", "MultiPolygon"}:
        raise ScenarioError(f"{key} must be a POLYGON or MULTIPOLYGON, got {result.geom_type}")
    if polygonal and not result.is_valid:
        raise ScenarioError(f"{key} is not a valid polygon: {explain_validity(result)}")
    return result


def polygon(value: BaseGeometry, key: str) -> Polygon:
    """`value` must be a single polygon."""
    if not isinstance(value, Polygon):
        raise ScenarioError(f"{key} must be a single POLYGON, got {value.geom_type}")
    return value


def name_or_point(
    table: Mapping[str, Any], where: str, *, name_key: str
) -> tuple[str | None, tuple[float, float] | None]:
    """Where something happens: a name on the map (`name_key`) or `xy = [x, y]`, exactly one."""
    name, xy = table.get(name_key), table.get("xy")
    if (name is None) == (xy is None):
        raise ScenarioError(
            f"{where} needs either {name_key} (a name on the map) or xy = [x, y] (local metres)"
        )
    if name is not None and not (isinstance(name, str) and name):
        raise ScenarioError(f"{where}.{name_key} must be a name on the map, got {name!r}")
    if xy is not None and not (
        isinstance(xy, list)
        and len(xy) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in xy)
    ):
        raise ScenarioError(f"{where}.xy must be [x, y] in local metres, got {xy!r}")
    return name, None if xy is None else (float(xy[0]), float(xy[1]))
