"""Attacks: published stand-off distances, casualty models, and runs where people flee the
threat and keep out of the cordon."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from scenarios.attack import blast_casualty_probability, hit_probability, mandatory_distance_m
from tests.scenarios.test_site_scenario import run_small_match_day

SMALL = {"stadium": 1170, "park": 180, "streets": 100, "stops": 50}  # a tenth of the match day


def test_stand_off_and_casualty_models() -> None:
    # NCTC chart (hazards.md): pipe bomb 2.3 kg 21 m, vest 9.2 kg 34 m, car 227 kg 98 m.
    assert mandatory_distance_m(2.3) == pytest.approx(21)
    assert mandatory_distance_m(9.2) == pytest.approx(34)
    assert mandatory_distance_m(227) == pytest.approx(98)
    near, mid, far = blast_casualty_probability([3.0, 10.0, 30.0], 9.2)
    assert near == 1.0 and 0 < mid < 1 and far == 0.0
    assert hit_probability(5.0) > hit_probability(25.0) > 0 == hit_probability(40.0)


def _frames(path: Path) -> dict[int, dict[int, tuple[float, float]]]:
    with h5py.File(path / "trajectories.h5") as f:
        table = f["trajectory"][:]
    frames: dict[int, dict[int, tuple[float, float]]] = {}
    for frame, pid, x, y in zip(table["frame"], table["id"], table["x"], table["y"], strict=True):
        frames.setdefault(int(frame), {})[int(pid)] = (float(x), float(y))
    return frames


def test_people_near_a_shooter_flee_faster_than_others(tmp_path: Path) -> None:
    out = tmp_path / "shooter"
    summary = run_small_match_day("attack_shooter_north_gate", out, **SMALL, duration_s=120)
    assert summary["alarmed"] > 0 and summary["casualties"] >= 0
    ox, oy = summary["attack"]["origin_xy_m"]
    frames = _frames(out)
    first, later = frames[5], frames[20]  # 10 s and 40 s after the first shot (2 s a frame)
    near: list[float] = []
    far: list[float] = []
    for pid, (x0, y0) in first.items():
        if pid in later:
            d0 = np.hypot(x0 - ox, y0 - oy)
            d1 = np.hypot(later[pid][0] - ox, later[pid][1] - oy)
            (near if d0 < 60 else far if d0 > 150 else []).append((d1 - d0) / 30.0)
    assert len(near) > 20 and len(far) > 20
    assert np.mean(near) > 0.5  # running away from the shooter
    assert np.mean(near) > np.mean(far) + 0.3


def test_nobody_enters_the_cordon_after_it_closes(tmp_path: Path) -> None:
    out = tmp_path / "blast"
    summary = run_small_match_day("attack_explosion_tyrsova", out, **SMALL, duration_s=700)
    assert summary["casualties"] > 0
    assert summary["evacuated"] + summary["casualties"] <= summary["agents_total"]
    ox, oy = summary["attack"]["origin_xy_m"]
    radius = summary["attack"]["cordon_radius_m"]
    frames = _frames(out)
    closed_frame = (300 + 120) // 2 + 1  # the cordon closes 2 min after the blast at 300 s
    entered, inside_at_close = 0, 0
    for frame in range(closed_frame, max(frames)):
        for pid, (x, y) in frames[frame + 1].items():
            inside_now = np.hypot(x - ox, y - oy) < radius - 0.5
            before = frames[frame].get(pid)
            if before is not None and inside_now:
                was_inside = np.hypot(before[0] - ox, before[1] - oy) < radius + 0.5
                entered += not was_inside
        if frame == closed_frame:
            inside_at_close = sum(
                np.hypot(x - ox, y - oy) < radius for x, y in frames[frame].values()
            )
    assert entered == 0
    last = frames[max(frames)]
    assert sum(np.hypot(x - ox, y - oy) < radius for x, y in last.values()) <= inside_at_close


def test_an_attack_can_start_from_a_sensor_alert() -> None:
    from city_data import load_site
    from scenarios.attack import AttackHazard, parse_attack

    site = load_site("plzen")
    sensor = site.places_of("sensor")[0]
    settings = parse_attack({"attack": {"kind": "explosion", "at": sensor.name, "start_s": 95}})
    assert settings is not None and settings.start_s == 95
    hazard = AttackHazard(settings, site=site, people=0)
    assert hazard.origin == (sensor.x, sensor.y)
