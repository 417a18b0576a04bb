"""The situation on the ground: how many people are where now (counted, estimated or reported),
to run or rank a site scenario from instead of its planned crowd.

A situation file is JSON, the form a sensor bridge or a staff officer writes:

    {
      "observed_at": "2026-12-07T21:40:00+01:00",    optional, ISO 8601
      "source": "stewards' radio counts",            optional, free text
      "counts": {"North stand": 2500, "Štruncovy sady": 2400, "stadium": 9000}
    }

A name is a stadium sector, a stand, "stadium" (everyone in the stands) or one of the scenario's
outside zones. The most specific count wins, as in a response plan: a sector's own count; else
its share (by seats) of its stand's count less the stand's sectors counted on their own; else
likewise its share of "stadium"; else the scenario's planned share. Outside zones the situation
does not name keep their planned counts; a zone counted 0 is empty. Names are checked against the
site when the run is prepared (`sector_counts`, `zone_count`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from evac.errors import ScenarioError
from scenarios import checks

if TYPE_CHECKING:
    from scenarios.scenario_file import Scenario

STADIUM = "stadium"
_KEYS = {"observed_at", "source", "counts"}
_MOST_PEOPLE = 200_000


@dataclass(frozen=True, kw_only=True)
class Situation:
    """Counts of people by place name (see the module docstring), and where they came from."""

    counts: tuple[tuple[str, int], ...]
    observed_at: str | None = None
    source: str | None = None

    def count_of(self, name: str) -> int | None:
        """The count given for `name`, or None."""
        return dict(self.counts).get(name)

    def as_dict(self) -> dict[str, Any]:
        """The situation as written in summaries and rankings."""
        return {
            "observed_at": self.observed_at,
            "source": self.source,
            "counts": dict(self.counts),
        }


def load_situation(path: Path) -> Situation:
    """Read and check a situation file; a mistake names the key and what was expected."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read situation file {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"situation file {path} is not valid JSON: {exc}") from None
    return parse_situation(document, where=str(path))


def parse_situation(document: object, *, where: str = "situation") -> Situation:
    """Check a situation document (see the module docstring)."""
    if not isinstance(document, dict):
        raise ScenarioError(f"{where}: expected a JSON object with 'counts', got {document!r}")
    checks.check_keys(document, where, allowed=_KEYS)
    counts = document.get("counts")
    if not isinstance(counts, dict) or not counts:
        raise ScenarioError(
            f"{where}: 'counts' must be an object of place names and numbers of people, "
            f"got {counts!r}"
        )
    checked = []
    for name, count in counts.items():
        if not name.strip():
            raise ScenarioError(f"{where}: counts has an empty place name")
        if not (
            isinstance(count, int) and not isinstance(count, bool) and 0 <= count <= _MOST_PEOPLE
        ):
            raise ScenarioError(
                f"{where}: counts['{name}'] must be a whole number of people from 0 to "
                f"{_MOST_PEOPLE}, got {count!r}"
            )
        checked.append((name, count))
    observed_at = document.get("observed_at")
    if observed_at is not None and not _is_iso_time(observed_at):
        raise ScenarioError(f"{where}: observed_at must be an ISO 8601 time, got {observed_at!r}")
    source = document.get("source")
    if source is not None and not isinstance(source, str):
        raise ScenarioError(f"{where}: source must be text, got {source!r}")
    return Situation(counts=tuple(checked), observed_at=observed_at, source=source)


def _is_iso_time(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def with_situation(scenario: Scenario, situation: Situation) -> Scenario:
    """The site scenario with `situation`'s counts in place of its planned crowd."""
    if scenario.site is None:
        raise ScenarioError(
            f"a situation applies to site scenarios; '{scenario.name}' draws its own venue "
            "(set its agents' counts with --set agents.N.count=...)"
        )
    site = dataclasses.replace(scenario.site, situation=situation)
    return dataclasses.replace(scenario, site=site)


def situation_of(scenario: Scenario) -> dict[str, Any] | None:
    """The situation a scenario's crowd was taken from, as written in summaries and rankings
    (None: the scenario's planned crowd)."""
    situation = scenario.site.situation if scenario.site is not None else None
    return None if situation is None else situation.as_dict()


def sector_counts(
    situation: Situation, *, sectors: Sequence[str], stands: Sequence[str],
    capacity: npt.NDArray[np.float64], planned: npt.NDArray[np.int64], zones: Sequence[str],
) -> npt.NDArray[np.int64]:  # fmt: skip
    """People per sector under `situation`: sectors named by themselves, then by their stand,
    then by "stadium", the rest as `planned` (see the module docstring). `stands` holds each
    sector's stand; `zones` the outside zones' names (so that every name can be checked)."""
    known = {*sectors, *stands, STADIUM, *zones}
    for name, _ in situation.counts:
        if name not in known:
            raise ScenarioError(
                f"situation: '{name}' is not a sector, stand, zone or 'stadium' here (known: "
                f"{', '.join(sorted(known))})"
            )
    counts = planned.astype(np.int64).copy()
    settled = np.zeros(len(sectors), dtype=bool)
    for k, name in enumerate(sectors):
        given = situation.count_of(name)
        if given is not None:
            if given > capacity[k]:
                raise ScenarioError(
                    f"situation: counts['{name}'] is {given}, more than its {int(capacity[k])} "
                    "seats"
                )
            counts[k] = given
            settled[k] = True
    groups = [(stand, np.asarray(stands) == stand) for stand in dict.fromkeys(stands)]
    groups.append((STADIUM, np.ones(len(sectors), dtype=bool)))
    for name, members in groups:
        given = situation.count_of(name)
        if given is None:
            continue
        rest = members & ~settled
        left = given - int(counts[members & settled].sum())
        seats = float(capacity[rest].sum())
        if left < 0 or left > seats:
            raise ScenarioError(
                f"situation: counts['{name}'] is {given}, but its sectors counted on their own "
                f"hold {given - left} and the others have {int(seats)} seats"
            )
        counts[rest] = share_out(left, capacity[rest]) if left else 0
        settled |= members
    return counts


def zone_count(situation: Situation | None, name: str, planned: int) -> int:
    """People in the outside zone `name`: the situation's count, else the planned one."""
    given = None if situation is None else situation.count_of(name)
    return planned if given is None else given


def share_out(total: int, weights: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Integers proportional to the weights that add up to `total` (largest remainders)."""
    exact = total * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    short = total - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return np.asarray(counts, dtype=np.int64)
