"""Placing people: apart, inside, reachable; start times, speeds and groups."""

from __future__ import annotations

import numpy as np
import pytest
from shapely.geometry import Point, box

from evac.errors import ScenarioError
from scenarios.population import Demography, Origin, PreMovement, place_agents, place_population
from scenarios.situation import share_out


def test_placement_keeps_people_apart_and_inside() -> None:
    area = box(0, 0, 5, 4)
    points = place_agents(area, 60, np.random.default_rng(0), radius=0.18, key="agents[0]")
    assert points.shape == (60, 2)
    assert all(area.contains(Point(p)) for p in points)
    gaps = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(gaps, 9.0)
    assert gaps.min() >= 0.36 - 1e-9
    with pytest.raises(ScenarioError, match="do not fit"):
        place_agents(area, 500, np.random.default_rng(0), radius=0.18, key="agents[0]")


def test_placement_leaves_out_what_keep_rules_out() -> None:
    def left_half(points: np.ndarray) -> np.ndarray:
        return points[:, 0] < 2.5

    points = place_agents(
        box(0, 0, 5, 4), 20, np.random.default_rng(1), radius=0.18, key="z", keep=left_half
    )
    assert (points[:, 0] < 2.5).all()


def test_shares_add_up_and_follow_the_weights() -> None:
    counts = share_out(11_700, np.array([975.0] * 4 + [925.0] * 4 + [1050.0, 1050, 1000, 1000]))
    assert counts.sum() == 11_700
    assert counts[0] == 975 and counts[8] == 1050


def test_start_times_speeds_and_groups() -> None:
    rng = np.random.default_rng(2)
    pre = PreMovement(median_s=60, sigma=0.6, max_s=300)
    times = pre.sample(rng, 20_000)
    assert np.median(times) == pytest.approx(60, rel=0.05) and times.max() <= 300
    elderly = Demography(adults=0, elderly=1, children=0).sample_speeds(rng, 5000)
    adults = Demography(adults=1, elderly=0, children=0).sample_speeds(rng, 5000)
    assert elderly.mean() == pytest.approx(1.0, abs=0.03)
    assert adults.mean() == pytest.approx(1.34, abs=0.03)
    origin = Origin(name="z", area=box(0, 0, 20, 20), count=400, in_stadium=False)
    population = place_population(
        (origin,), rng, radius=0.18, stadium_pre_movement=pre, outside_pre_movement=pre,
        demography=Demography(), group_share=0.5,
    )  # fmt: skip
    # Groups share the slowest member's speed: many neighbours in id order walk equally fast.
    same = np.count_nonzero(np.diff(population.desired_speed) == 0)
    assert same > 100
    without = place_population(
        (origin,), rng, radius=0.18, stadium_pre_movement=pre, outside_pre_movement=pre,
        demography=Demography(), group_share=0.0,
    )  # fmt: skip
    assert np.count_nonzero(np.diff(without.desired_speed) == 0) == 0
