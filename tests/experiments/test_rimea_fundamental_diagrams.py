"""RiMEA tests 4 and 16 (fundamental diagrams) on short set-ups."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.rimea_fundamental_diagrams import (
    DiagramPoint,
    corridor_diagram,
    hexagonal_positions,
    inside_rimea_16_band,
    rimea_16_band,
    ring_diagram,
    weidmann_speed,
)
from simulator import CollisionFreeSpeedModel


def test_hexagonal_lattice_has_the_asked_density() -> None:
    points = hexagonal_positions(0, 50, 0, 10, 4.0, np.random.default_rng(0))
    assert len(points) / 500 == pytest.approx(4.0, rel=0.05)
    gaps = np.hypot(*(points[1:] - points[:-1]).T)
    assert gaps.min() > 0.36  # two bodies of 0.18 m fit between neighbours in a row


def test_weidmann_speed_is_the_published_curve() -> None:
    assert weidmann_speed(0.01) == pytest.approx(1.34, abs=1e-6)
    assert weidmann_speed(1.75) == pytest.approx(0.69, abs=0.01)  # max flow about 1.2 /(m·s)
    assert weidmann_speed(5.4) == 0.0


def test_rimea_16_band_is_read_from_the_reference() -> None:
    density, low, high = rimea_16_band()
    assert density[0] == pytest.approx(0.0989)
    assert low[0] == pytest.approx(0.9607) and high[0] == pytest.approx(1.483)
    assert np.all(low <= high)
    assert inside_rimea_16_band(DiagramPoint(set_density=1.0, density=1.0989, speed_m_s=0.5))
    assert not inside_rimea_16_band(DiagramPoint(set_density=1.0, density=1.0989, speed_m_s=0.9))


def test_single_file_ring_slows_with_density_and_keeps_everyone_on_it() -> None:
    points = ring_diagram(people=(14, 45), until_s=120.0)
    sparse, dense = points
    assert sparse.density == pytest.approx(14 / 26, rel=0.02)
    assert dense.density == pytest.approx(45 / 26, rel=0.02)
    # Nobody overtakes in single file: the file walks at about its slowest member's pace.
    assert 0.5 < sparse.speed_m_s < 1.34
    # Much slower: 0.22 against 0.74 m/s (with one time gap of 0.40 s for crowds and files
    # alike it was 0.55, above the measured band).
    assert dense.speed_m_s < 0.5 * sparse.speed_m_s
    assert inside_rimea_16_band(sparse)
    assert inside_rimea_16_band(dense)
    # Dense, everyone is held by the one ahead: the speed model's (spacing - 2 r) / T with the
    # single-file time gap (nobody walks beside). Over 30-120 s: turning from a wished heading
    # instead of the move made let the file zig-zag and stand still by 120 s.
    defaults = CollisionFreeSpeedModel()
    spacing = 26.0 / 45
    held = (spacing - 2 * defaults.radius_m) / defaults.time_gap_s
    assert dense.speed_m_s == pytest.approx(held, rel=0.05)


@pytest.mark.slow
def test_densest_single_file_keeps_moving() -> None:
    # 56 on the 26 m ring (2.15 /m): with turning time and no wall in the headway the file
    # zig-zagged between the walls (radial speeds above the forward ones) and stood still.
    (densest,) = ring_diagram(people=(56,), until_s=120.0)
    defaults = CollisionFreeSpeedModel()
    held = (26.0 / 56 - 2 * defaults.radius_m) / defaults.time_gap_s
    assert densest.speed_m_s > 0.5 * held
    assert inside_rimea_16_band(densest)


def test_corridor_diagram_measures_the_set_density_far_from_the_ends() -> None:
    points = corridor_diagram(
        densities=(1.0, 4.0), length_m=120.0, measuring_at_m=(50.0, 60.0), from_s=5.0,
        until_s=20.0,
    )  # fmt: skip
    low, high = points
    assert low.density == pytest.approx(1.0, rel=0.3)
    assert high.density == pytest.approx(4.0, rel=0.25)
    assert high.speed_m_s < 0.6 * low.speed_m_s
    assert low.speed_m_s > 0.8
