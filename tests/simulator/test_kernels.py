"""Kernels against slow, obvious Python versions on small inputs."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from simulator import kernels


@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=1, max_value=60))
@settings(max_examples=30, deadline=None)
def test_cell_list_holds_every_living_agent_once_in_its_cell(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 9.99, n), rng.uniform(0, 5.99, n)
    alive = np.flatnonzero(rng.random(n) < 0.8).astype(np.int64)
    cell_start, ordered = kernels.build_cell_list(x, y, alive, 0.0, 0.0, 2.0, 5, 3)
    assert sorted(ordered.tolist()) == sorted(alive.tolist())
    for cell in range(15):
        for i in ordered[cell_start[cell] : cell_start[cell + 1]]:
            assert int(y[i] // 2.0) * 5 + int(x[i] // 2.0) == cell


def test_cell_list_kept_between_steps_forgets_the_last_step() -> None:
    """Filling work space that still holds a larger step's cell list gives the fresh list."""
    rng = np.random.default_rng(3)
    cell_start, cell_of, ordered = (np.zeros(200, np.int64) for _ in range(3))
    for n, columns, rows in ((150, 12, 9), (40, 5, 3), (90, 7, 4)):
        x, y = rng.uniform(0, 2.0 * columns, n), rng.uniform(0, 2.0 * rows, n)
        alive = np.flatnonzero(rng.random(n) < 0.7).astype(np.int64)
        kernels.fill_cell_list(
            x, y, alive, 0.0, 0.0, 2.0, columns, rows, cell_start, cell_of, ordered
        )
        fresh_start, fresh_ordered = kernels.build_cell_list(
            x, y, alive, 0.0, 0.0, 2.0, columns, rows
        )
        np.testing.assert_array_equal(cell_start[: columns * rows + 1], fresh_start)
        np.testing.assert_array_equal(ordered[: alive.size], fresh_ordered)


def reference_cfsm(
    x: np.ndarray, y: np.ndarray, radius: float, v0: float, direction: tuple[float, float],
    time_gap: float, strength: float, range_m: float, reach: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Tordeux et al. 2016 in plain Python, all pairs, uniform desired direction, no walls.

    Repulsion ends at REPULSION_CUTOFF_RANGES ranges of free distance, shifted to reach zero
    there, and neighbours further than `reach` (centre to centre) are ignored, as in the kernel.
    """
    cutoff = kernels.REPULSION_CUTOFF_RANGES
    n = x.size
    ex, ey, speed = np.zeros(n), np.zeros(n), np.zeros(n)
    for i in range(n):
        dx_sum, dy_sum = direction
        for j in range(n):
            d = math.hypot(x[i] - x[j], y[i] - y[j])
            if j != i and d > 1e-9 and d - 2 * radius <= cutoff * range_m:
                push = strength * (math.exp((2 * radius - d) / range_m) - math.exp(-cutoff))
                dx_sum += push * (x[i] - x[j]) / d
                dy_sum += push * (y[i] - y[j]) / d
        norm = math.hypot(dx_sum, dy_sum)
        ex[i], ey[i] = dx_sum / norm, dy_sum / norm
        free = reach
        for j in range(n):
            dx, dy = x[j] - x[i], y[j] - y[i]
            ahead = dx * ex[i] + dy * ey[i]
            near = math.hypot(dx, dy) <= reach
            if j != i and near and ahead > 0 and abs(dx * ey[i] - dy * ex[i]) < 2 * radius:
                free = min(free, math.hypot(dx, dy) - 2 * radius)
        speed[i] = min(v0, max(0.0, free / time_gap))
    return ex, ey, speed


def test_cfsm_kernel_matches_the_reference() -> None:
    rng = np.random.default_rng(5)
    n = 40
    # Spread out so that no two bodies overlap (the kernel's overlap escape is not in the paper).
    xs, ys = np.meshgrid(np.arange(2, 10, 0.9), np.arange(2, 8, 0.9))
    pick = rng.choice(xs.size, n, replace=False)
    x = xs.ravel()[pick] + rng.uniform(-0.2, 0.2, n)
    y = ys.ravel()[pick] + rng.uniform(-0.2, 0.2, n)
    alive = np.arange(n, dtype=np.int64)
    cell_start, ordered = kernels.build_cell_list(x, y, alive, 0.0, 0.0, 2.0, 6, 5)
    shape = (1, 60, 60)  # a 12 m x 12 m grid at 0.2 m, direction (1, 0) everywhere, no walls near
    direction_x, direction_y = np.ones(shape, np.float32), np.zeros(shape, np.float32)
    wall_distance = np.full(shape[1:], 50.0, np.float32)
    vx, vy = np.zeros(n), np.zeros(n)
    kernels.cfsm_velocities(
        x, y, np.full(n, 0.2), np.full(n, 1.3), np.zeros(n, np.int64), cell_start, ordered,
        0.0, 0.0, 2.0, 6, 5, direction_x, direction_y, np.zeros(shape, np.float32),
        wall_distance, 0.0, 0.0, 0.2,
        1.0, 1.0, 8.0, 0.1, 5.0, 0.02, 0.6, 2.0, 1.0, 0.0, vx, vy, 3,
        np.full((5, 2 * n), np.nan), np.full(2 * n, -7, np.int64),  # longer work space: fine
        np.zeros(n), 1.0,
    )  # fmt: skip
    # Each agent looks as far as its headway (1.3 m/s x 1 s) plus both bodies, and a little.
    reach = 1.3 * 1.0 + 0.2 + 0.2 + 0.01
    ref_ex, ref_ey, ref_speed = reference_cfsm(x, y, 0.2, 1.3, (1.0, 0.0), 1.0, 8.0, 0.1, reach)
    np.testing.assert_allclose(vx, ref_ex * ref_speed, atol=1e-9)
    np.testing.assert_allclose(vy, ref_ey * ref_speed, atol=1e-9)
    speed = np.hypot(vx, vy)
    assert (speed < 1.3).any() and (speed == 1.3).any()  # both free and following walkers


@pytest.mark.parametrize("aside", [1.05, 1.4])
@pytest.mark.parametrize(("beside", "time_gap"), [(0, 1.0), (1, 0.75), (2, 0.5), (3, 0.5)])
def test_cfsm_kernel_keeps_the_crowd_time_gap_with_people_beside(
    beside: int, time_gap: float, aside: float
) -> None:
    """A walker 0.8 m behind another (0.4 m free) keeps the single-file time gap (1 s) alone, the
    crowd's (0.5 s) with two or more beside it (level, `aside` to a side: out of its lane and of
    the repulsion's reach), halfway with one. At 1.4 m they are beyond the first, short search
    (as far as the crowd's gap needs: 1.06 m) and found by the second, long one (1.71 m)."""
    sides = [(5.0, 5.0 + aside), (5.0, 5.0 - aside), (5.5, 5.0 + aside)][:beside]
    x = np.array([5.0, 5.8] + [p[0] for p in sides])
    y = np.array([5.0, 5.0] + [p[1] for p in sides])
    n = x.size
    alive = np.arange(n, dtype=np.int64)
    cell_start, ordered = kernels.build_cell_list(x, y, alive, 0.0, 0.0, 2.0, 6, 5)
    shape = (1, 60, 60)
    direction_x, direction_y = np.ones(shape, np.float32), np.zeros(shape, np.float32)
    vx, vy = np.zeros(n), np.zeros(n)
    kernels.cfsm_velocities(
        x, y, np.full(n, 0.2), np.full(n, 1.3), np.zeros(n, np.int64), cell_start, ordered,
        0.0, 0.0, 2.0, 6, 5, direction_x, direction_y, np.zeros(shape, np.float32),
        np.full(shape[1:], 50.0, np.float32), 0.0, 0.0, 0.2,
        1.0, 0.5, 8.0, 0.1, 5.0, 0.02, 0.6, 2.0, 1.0, 0.0, vx, vy, 3,
        np.empty((5, n)), np.empty(n, np.int64), np.zeros(n), 1.0,
    )  # fmt: skip
    assert vy[0] == pytest.approx(0.0, abs=1e-12)
    assert vx[0] == pytest.approx(0.4 / time_gap, rel=1e-12)


def test_cfsm_kernel_keeps_the_crowds_time_gap_for_a_while_after_the_crowd_thins() -> None:
    """The walker of the test above, with two beside it, keeps the crowd's gap (0.5 s); in the
    next steps nobody is beside any more, and its crowd share falls by the release (a quarter
    here: dt over a memory of 4 steps) each step: a gap of 0.625 s, then 0.75 s, and back at
    the single file's 1 s after four steps."""
    crowd_state = np.zeros(2)
    gaps = []
    for step in range(6):
        beside = [(5.0, 6.05), (5.0, 3.95)] if step == 0 else []
        x = np.array([5.0, 5.8] + [p[0] for p in beside])
        y = np.array([5.0, 5.0] + [p[1] for p in beside])
        n = x.size
        cell_start, ordered = kernels.build_cell_list(
            x, y, np.arange(n, dtype=np.int64), 0.0, 0.0, 2.0, 6, 5
        )
        shape = (1, 60, 60)
        direction_x, direction_y = np.ones(shape, np.float32), np.zeros(shape, np.float32)
        vx, vy = np.zeros(n), np.zeros(n)
        state = np.concatenate([crowd_state, np.zeros(n - 2)])
        kernels.cfsm_velocities(
            x, y, np.full(n, 0.2), np.full(n, 1.3), np.zeros(n, np.int64), cell_start, ordered,
            0.0, 0.0, 2.0, 6, 5, direction_x, direction_y, np.zeros(shape, np.float32),
            np.full(shape[1:], 50.0, np.float32), 0.0, 0.0, 0.2,
            1.0, 0.5, 8.0, 0.1, 5.0, 0.02, 0.6, 2.0, 1.0, 0.0, vx, vy, 3,
            np.empty((5, n)), np.empty(n, np.int64), state, 0.25,
        )  # fmt: skip
        crowd_state = state[:2]
        gaps.append(0.4 / vx[0])
    assert gaps == pytest.approx([0.5, 0.625, 0.75, 0.875, 1.0, 1.0], rel=1e-12)


def _follow(ahead_speed: float, overtake_angle: float) -> tuple[float, float]:
    """Heading (degrees) and speed of a walker wanting 1.6 m/s east, 0.8 m behind one who last
    walked east at `ahead_speed` (0.4 m free: 0.4 m/s at a time gap of 1 s), in open space."""
    x, y = np.array([5.0, 5.8]), np.array([5.0, 5.0])
    alive = np.arange(2, dtype=np.int64)
    cell_start, ordered = kernels.build_cell_list(x, y, alive, 0.0, 0.0, 2.0, 6, 5)
    shape = (1, 60, 60)
    direction_x, direction_y = np.ones(shape, np.float32), np.zeros(shape, np.float32)
    vx, vy = np.array([0.4, ahead_speed]), np.zeros(2)
    kernels.cfsm_velocities(
        x, y, np.full(2, 0.2), np.array([1.6, 1.0]), np.zeros(2, np.int64), cell_start, ordered,
        0.0, 0.0, 2.0, 6, 5, direction_x, direction_y, np.zeros(shape, np.float32),
        np.full(shape[1:], 50.0, np.float32), 0.0, 0.0, 0.2,
        1.0, 1.0, 8.0, 0.1, 5.0, 0.02, 0.6, 2.0, 1.0, overtake_angle, vx, vy, 3,
        np.empty((5, 2)), np.empty(2, np.int64), np.zeros(2), 1.0,
    )  # fmt: skip
    return math.degrees(math.atan2(vy[0], vx[0])), math.hypot(vx[0], vy[0])


def test_cfsm_kernel_passes_a_slower_walker_ahead_on_the_left() -> None:
    """At 20° the one ahead is still in one's lane (0.27 m aside, bodies 0.4 m), at 40° not: the
    walker steps out to the left at full speed. Published model (no angle): it follows at 0.4 m/s.
    Behind someone standing (a queue) or walking as fast as one wants, nobody passes."""
    heading, speed = _follow(0.8, math.radians(20.0))
    assert heading == pytest.approx(40.0) and speed == pytest.approx(1.6)
    for ahead_speed, angle in ((0.8, 0.0), (0.0, math.radians(20.0)), (1.5, math.radians(20.0))):
        heading, speed = _follow(ahead_speed, angle)
        assert heading == pytest.approx(0.0, abs=1e-6) and speed == pytest.approx(0.4, rel=0.02)


def test_cfsm_kernel_turns_gradually_from_last_heading() -> None:
    """A lone walker heading north whose way lies east turns by the given fraction per step."""
    x, y = np.array([5.0]), np.array([5.0])
    alive = np.arange(1, dtype=np.int64)
    cell_start, ordered = kernels.build_cell_list(x, y, alive, 0.0, 0.0, 2.0, 6, 5)
    shape = (1, 60, 60)
    direction_x, direction_y = np.ones(shape, np.float32), np.zeros(shape, np.float32)
    headings = []
    for fraction in (1.0, 0.5, 0.25):
        vx, vy = np.zeros(1), np.array([1.3])  # last step: north at full speed
        kernels.cfsm_velocities(
            x, y, np.full(1, 0.2), np.full(1, 1.3), np.zeros(1, np.int64), cell_start, ordered,
            0.0, 0.0, 2.0, 6, 5, direction_x, direction_y, np.zeros(shape, np.float32),
            np.full(shape[1:], 50.0, np.float32), 0.0, 0.0, 0.2,
            1.0, 1.0, 8.0, 0.1, 5.0, 0.02, 0.6, 2.0, fraction, 0.0, vx, vy, 3,
            np.empty((5, 1)), np.empty(1, np.int64), np.zeros(1), 1.0,
        )  # fmt: skip
        assert math.hypot(vx[0], vy[0]) == pytest.approx(1.3)  # nobody ahead: full speed
        headings.append(math.degrees(math.atan2(vy[0], vx[0])))
    # At once (east, 0°); half-way between north and east (45°); a quarter of the way
    # (atan2(0.75, 0.25) = 71.6°).
    assert headings == pytest.approx([0.0, 45.0, 71.565], abs=1e-3)


def test_wall_headway_is_the_free_distance_to_the_wall_ahead() -> None:
    """A wall at x = 10 m (distance field at 0.05 m); a body of 0.2 m at x = 9 m."""
    resolution = 0.05
    centres = (np.arange(200) + 0.5) * resolution
    wall_distance = np.tile((10.0 - centres).astype(np.float32), (40, 1))

    def headway(x: float, angle_deg: float, limit: float = 2.0) -> float:
        ex, ey = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
        start = 10.0 - x - 0.2  # clear of the wall
        return float(
            kernels.wall_headway(
                wall_distance, x, 1.0, 0.2, start, ex, ey, limit, 0.0, 0.0, resolution
            )
        )

    assert headway(9.0, 0.0) == pytest.approx(0.8, abs=0.5 * resolution)  # head-on
    assert headway(9.0, 60.0) == pytest.approx(1.6, abs=resolution)  # obliquely: 0.8 / cos 60°
    assert headway(9.0, 0.0, limit=0.5) == 0.5  # nothing nearer than the limit
    assert headway(9.0, 180.0) == 2.0  # walking away
    assert headway(9.8, 90.0) == 2.0  # touching, sliding along it: free
    assert headway(9.8, 10.0) < 0.05  # touching, turning into it: blocked


def test_advance_never_enters_a_wall() -> None:
    walkable = np.ones((10, 10), dtype=bool)
    walkable[:, 5] = False  # a wall at x in [0.5, 0.6)
    x, y = np.array([0.45, 0.2]), np.array([0.5, 0.5])
    vx, vy = np.array([2.0, 1.0]), np.array([1.0, 0.0])
    out_x, out_y = x.copy(), y.copy()
    closed = np.zeros_like(walkable)
    walked = np.zeros(2)
    kernels.advance(x, y, vx, vy, np.arange(2, dtype=np.int64), walkable, closed, 0.0, 0.0, 0.1,
                    0.1, out_x, out_y, walked, True)  # fmt: skip
    assert out_x[0] == 0.45 and out_y[0] == 0.6  # slid along the wall, not through it
    assert out_x[1] == 0.30000000000000004 and out_y[1] == 0.5  # free move
    assert walked == pytest.approx([0.1, 0.1])  # the distance actually moved
    # keep_moves: the velocities become the moves made (the slide along the wall: north).
    assert vx == pytest.approx([0.0, 1.0]) and vy == pytest.approx([1.0, 0.0])


def test_advance_keeps_people_out_of_closed_cells_but_lets_them_leave() -> None:
    walkable = np.ones((10, 10), dtype=bool)
    closed = np.zeros_like(walkable)
    closed[:, 5:] = True  # x >= 0.5 is closed
    x, y = np.array([0.45, 0.75]), np.array([0.5, 0.5])
    vx, vy = np.array([1.0, -1.0]), np.array([0.0, 0.0])
    out_x, out_y = x.copy(), y.copy()
    kernels.advance(x, y, vx, vy, np.arange(2, dtype=np.int64), walkable, closed, 0.0, 0.0, 0.1,
                    0.1, out_x, out_y, np.zeros(2), False)  # fmt: skip
    assert out_x[0] == 0.45  # outside: may not step in
    assert out_x[1] == 0.65  # inside: walks on (and out)


def test_pass_waypoints_moves_on_only_those_standing_in_the_waypoint_they_head_for() -> None:
    # Two exits (targets 0, 1); waypoint 0 in the left column of cells, waypoint 1 in the right.
    cells = np.full((4, 4), -1, dtype=np.int16)
    cells[:, 0] = 0
    cells[:, 3] = 1
    route = np.array([[0, 1, -1], [0, -1, -1], [1, -1, -1], [0, 1, -1], [0, 1, 0]])
    position = np.array([0, 0, 0, 0, 2])
    final = np.array([1, 0, 1, 1, 0])
    target = np.array([2, 2, 3, 1, 2])  # exits + waypoint index; agent 3 heads for exit 1
    # Agent 0 in waypoint 0 (route goes on to 1); agent 1 in waypoint 0 (its last: final exit);
    # agent 2 heads for 1 but stands in 0; agent 3 stands in 0 but heads for an exit; agent 4,
    # off the grid to the left (the edge column counts), has passed its route's last entry.
    x = np.array([0.1, 0.2, 0.1, 0.1, -5.0])
    y = np.array([0.1, 0.3, 0.2, 0.2, 0.2])
    passed = kernels.pass_waypoints(
        x, y, np.arange(5, dtype=np.int64), target, 2, cells, 0.0, 0.0, 0.25, route, position,
        final,
    )  # fmt: skip
    assert passed == 3
    assert target.tolist() == [3, 0, 3, 1, 0]
    assert position.tolist() == [1, 1, 0, 0, 3]


def test_repulsion_exp_matches_the_library_exp() -> None:
    xs = np.linspace(-10.0, 10.0, 20_001)
    ours = np.array([kernels.repulsion_exp(float(v)) for v in xs])
    np.testing.assert_allclose(ours, np.exp(xs), rtol=1e-10)
    wide = np.linspace(-40.0, 12.0, 5_201)
    ours = np.array([kernels.repulsion_exp(float(v)) for v in wide])
    np.testing.assert_allclose(ours, np.exp(wide), rtol=3e-5)
    assert kernels.repulsion_exp(-100.0) == pytest.approx(math.exp(-40.0), rel=3e-5)  # clamped


def lone_walker_turns(previous: tuple[float, float], steps: int) -> list[float]:
    """Headings (degrees) of a lone walker (desired speed 1.3 m/s) whose way lies east, over
    `steps` steps turning a third of the way each, from a last move `previous` (m/s)."""
    x, y = np.array([5.0]), np.array([5.0])
    alive = np.arange(1, dtype=np.int64)
    cell_start, ordered = kernels.build_cell_list(x, y, alive, 0.0, 0.0, 2.0, 6, 5)
    shape = (1, 60, 60)
    direction_x, direction_y = np.ones(shape, np.float32), np.zeros(shape, np.float32)
    vx, vy = np.array([previous[0]]), np.array([previous[1]])
    headings = []
    for _ in range(steps):
        kernels.cfsm_velocities(
            x, y, np.full(1, 0.2), np.full(1, 1.3), np.zeros(1, np.int64), cell_start, ordered,
            0.0, 0.0, 2.0, 6, 5, direction_x, direction_y, np.zeros(shape, np.float32),
            np.full(shape[1:], 50.0, np.float32), 0.0, 0.0, 0.2,
            1.0, 1.0, 8.0, 0.1, 5.0, 0.02, 0.6, 2.0, 1 / 3, 0.0, vx, vy, 3,
            np.empty((5, 1)), np.empty(1, np.int64), np.zeros(1), 1.0,
        )  # fmt: skip
        headings.append(math.degrees(math.atan2(vy[0], vx[0])))
    return headings


def test_cfsm_kernel_turns_round_through_the_right() -> None:
    """A walker heading west whose way now lies east (a symmetric field: no side is nearer) turns
    round through its right, north, instead of only slowing its westward heading."""
    headings = lone_walker_turns((-1.3, 0.0), 20)  # last step: west at full speed
    assert 90.0 < headings[0] < 180.0  # west turning north: its right
    assert all(0.0 <= h < 180.0 for h in headings)  # through the north only
    assert headings[-1] == pytest.approx(0.0, abs=1.0)  # heading east at last


def test_cfsm_kernel_turns_round_through_the_side_the_way_lies_on() -> None:
    """Heading a degree south of west, a walker whose way lies east turns through the south;
    a degree north of west, through the north (always through the right made a crowd pressing
    to a door drift to one side)."""
    south_of_west = math.radians(181.0)
    north_of_west = math.radians(179.0)
    south = lone_walker_turns((1.3 * math.cos(south_of_west), 1.3 * math.sin(south_of_west)), 20)
    north = lone_walker_turns((1.3 * math.cos(north_of_west), 1.3 * math.sin(north_of_west)), 20)
    assert all(-180.0 < h <= 0.0 for h in south)
    assert all(0.0 <= h < 180.0 for h in north)
    assert south[-1] == pytest.approx(0.0, abs=1.0)
    assert south == pytest.approx([-h for h in north])


def test_cfsm_kernel_does_not_turn_aside_whom_the_crowd_pushed_back() -> None:
    """Someone whose last move was a push straight back (a tenth of the desired speed) does not
    step aside as if the way had turned behind them: in a crowd pressing to a door, people pushed
    back turned round through their right, the more often the shorter the time step, and the
    queue's density depended on the time step (12 % between dt 0.1 and 0.025 s, 0.5 m raster)."""
    assert lone_walker_turns((-0.13, 0.0), 1)[0] in (0.0, 180.0)


# A dense crowd of 600 heading for a door in a 30 m x 10 m room, run by a fresh interpreter;
# prints the velocities' bytes in hex.
_CROWD_VELOCITIES = """
import sys
import numba
import numpy as np
from simulator import kernels
numba.set_num_threads(int(sys.argv[1]))
rng = np.random.default_rng(11)
n = 600
x, y = rng.uniform(0.5, 29.5, n), rng.uniform(0.5, 9.5, n)  # 2 persons/m²
alive = np.arange(n, dtype=np.int64)
cell_start, ordered = kernels.build_cell_list(x, y, alive, 0.0, 0.0, 2.0, 15, 5)
columns, rows = np.meshgrid(np.arange(150) * 0.2 + 0.1, np.arange(50) * 0.2 + 0.1)
to_door = np.hypot(30.0 - columns, 5.0 - rows)
travel_time = to_door[None].astype(np.float32)
direction_x = ((30.0 - columns) / to_door)[None].astype(np.float32)
direction_y = ((5.0 - rows) / to_door)[None].astype(np.float32)
wall_distance = np.minimum(np.minimum(rows, 10.0 - rows), columns).astype(np.float32)
vx, vy = rng.normal(0.8, 0.3, n), rng.normal(0.0, 0.3, n)
kernels.cfsm_velocities(
    x, y, rng.uniform(0.15, 0.25, n), rng.uniform(0.9, 1.6, n), np.zeros(n, np.int64),
    cell_start, ordered, 0.0, 0.0, 2.0, 15, 5, direction_x, direction_y, travel_time,
    wall_distance, 0.0, 0.0, 0.2, 1.0, 0.4, 8.0, 0.1, 5.0, 0.02, 0.6, 2.0, 0.5, 0.35, vx, vy, 16,
    np.empty((5, n)), np.empty(n, np.int64), np.zeros(n), 0.05,
)
print(vx.tobytes().hex() + vy.tobytes().hex())
"""


def test_cfsm_kernel_repeats_bit_for_bit_compiled_afresh_or_cached_on_any_thread_count(
    tmp_path: Path,
) -> None:
    """Same velocities from a fresh compilation (empty cache), from Numba's cache, on one thread
    and on two: fast-math code in a Numba parallel loop once gave other last bits when loaded
    from the cache, so a run did not repeat the first run after a change."""
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}

    def velocities(threads: int) -> str:
        done = subprocess.run(
            [sys.executable, "-c", _CROWD_VELOCITIES, str(threads)], env=environment,
            capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2],
        )  # fmt: skip
        return done.stdout.strip()

    fresh = velocities(1)
    assert any((tmp_path / "numba-cache").rglob("*.nbi"))  # the compiled kernels were cached
    assert velocities(1) == fresh
    assert velocities(2) == fresh
    assert len(set(np.frombuffer(bytes.fromhex(fresh), dtype=np.float64).round(3))) > 100


@njit(nogil=True)
def _claim_all(counter: npt.NDArray[np.int64], out: npt.NDArray[np.int64]) -> None:
    for k in range(out.size):
        out[k] = kernels.claim(counter)  # type: ignore[call-arg]  # Numba adds the context


def test_claim_hands_each_number_to_one_thread_only() -> None:
    """Two threads counting up one shared counter at once (how the speed model's threads take
    chunks) get every number exactly once: no chunk is skipped or done twice. (The same race
    with a plain load and store lost 270,000 of the 4 million counts in one run here.)"""
    counter = np.zeros(1, dtype=np.int64)
    outs = [np.empty(2_000_000, dtype=np.int64) for _ in range(2)]
    _claim_all(counter, np.empty(1, dtype=np.int64))  # compile before the race
    counter[0] = 0
    start_together = threading.Barrier(len(outs))

    def race(out: npt.NDArray[np.int64]) -> None:
        start_together.wait()
        _claim_all(counter, out)

    threads = [threading.Thread(target=race, args=(out,)) for out in outs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    np.testing.assert_array_equal(np.sort(np.concatenate(outs)), np.arange(4_000_000))
    assert counter[0] == 4_000_000


def _search(
    sx: npt.NDArray[np.float64], sy: npt.NDArray[np.float64], sr: npt.NDArray[np.float64], k: int,
    reach: float, cell_start: npt.NDArray[np.int64], cell_size: float, columns: int, rows: int,
    buffer_size: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:  # fmt: skip
    """neighbours_within around agent k (in cell order): the indices found and their rows of
    offset, squared distance and sum of radii."""
    buffer, values = np.zeros(buffer_size, np.int64), np.zeros((4, buffer_size))
    found = kernels.neighbours_within(
        sx[k], sy[k], k, reach, sx, sy, sr, sr[k], cell_start, 0.0, 0.0, cell_size, columns,
        rows, buffer, values[0], values[1], values[2], values[3],
    )  # fmt: skip
    return buffer[:found], values[:, :found]


@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=1, max_value=300))
@settings(max_examples=40, deadline=None)
def test_neighbour_search_finds_everyone_within_reach_in_cell_order(seed: int, n: int) -> None:
    """Dense cells (rows of many candidates: the vectorised scan where the processor has it)
    and sparse ones, agents near the end of the arrays included: everyone within reach but
    oneself, in cell order, with their offsets, squared distances and sums of radii."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 5.99, n), rng.uniform(0, 3.99, n)
    radius = rng.uniform(0.15, 0.25, n)
    cell_start, ordered = kernels.build_cell_list(x, y, np.arange(n), 0.0, 0.0, 1.0, 6, 4)
    sx, sy, sr = x[ordered], y[ordered], radius[ordered]
    reach = 1.3
    for k in {0, n // 2, n - 1}:
        found, values = _search(sx, sy, sr, k, reach, cell_start, 1.0, 6, 4, 512)
        squared = (sx - sx[k]) ** 2 + (sy - sy[k]) ** 2
        # A fused multiply-add may round a distance on the circle to either side of it.
        clear = np.abs(squared - reach**2) > 1e-12
        expected = np.flatnonzero((squared <= reach**2) & (np.arange(n) != k))
        np.testing.assert_array_equal(found[clear[found]], expected[clear[expected]])
        np.testing.assert_array_equal(values[0], sx[found] - sx[k])
        np.testing.assert_array_equal(values[1], sy[found] - sy[k])
        np.testing.assert_allclose(values[2], squared[found], rtol=1e-14, atol=1e-15)
        np.testing.assert_array_equal(values[3], sr[k] + sr[found])


def test_neighbour_search_stops_at_a_full_buffer() -> None:
    """More neighbours than the buffer holds: the first ones, one slot short of its length."""
    rng = np.random.default_rng(7)
    n = 400
    x, y, radius = rng.uniform(0, 2, n), rng.uniform(0, 2, n), np.full(n, 0.2)
    cell_start, ordered = kernels.build_cell_list(x, y, np.arange(n), 0.0, 0.0, 1.0, 2, 2)
    sx, sy, sr = x[ordered], y[ordered], radius[ordered]
    everyone, _ = _search(sx, sy, sr, 0, 3.0, cell_start, 1.0, 2, 2, 512)
    np.testing.assert_array_equal(everyone, np.arange(1, n))
    for size in (21, 30, 64):
        first, _ = _search(sx, sy, sr, 0, 3.0, cell_start, 1.0, 2, 2, size)
        np.testing.assert_array_equal(first, np.arange(1, size))


@njit(cache=False)
def _search_compiled_here(
    sx: npt.NDArray[np.float64], cell_start: npt.NDArray[np.int64], buffer: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64],
) -> int:  # fmt: skip
    return kernels.neighbours_within(
        0.5, 0.5, 0, 1.0, sx, sx, sx, 0.2, cell_start, 0.0, 0.0, 1.0, 1, 1, buffer, values[0],
        values[1], values[2], values[3],
    )  # fmt: skip


@pytest.mark.skipif(not kernels._VECTOR_SCAN, reason="the processor has no AVX-512")
def test_neighbour_search_compiles_to_compress_stores_where_the_processor_has_them() -> None:
    """The vectorised scan is really there: AVX-512 compress-stores of the kept candidates (an
    emulation lane by lane would be slower than the scalar loop)."""
    sx = np.linspace(0.0, 1.0, 20)
    found = _search_compiled_here(sx, np.array([0, 20]), np.zeros(64, np.int64), np.zeros((4, 64)))
    assert found == 19  # everyone on the diagonal within 1 m of (0.5, 0.5) but oneself
    assembly = "".join(_search_compiled_here.inspect_asm().values())
    assert "vcompresspd" in assembly
    assert "vpcompressq" in assembly
