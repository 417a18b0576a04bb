"""Local density against a brute-force count."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.measurement import local_densities, max_density_per_m2


@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=1, max_value=80))
@settings(max_examples=30, deadline=None)
def test_local_density_counts_everyone_within_a_metre(seed: int, n: int) -> None:
    points = np.random.default_rng(seed).uniform(0, 6, (n, 2))
    distances = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    expected = (distances <= 1.0).sum(axis=1) / np.pi
    np.testing.assert_allclose(local_densities(points), expected)


def test_a_packed_crowd_reads_above_the_critical_density() -> None:
    xs, ys = np.meshgrid(np.arange(0, 10, 0.45), np.arange(0, 10, 0.45))  # 4.9 persons/m²
    assert max_density_per_m2(np.column_stack([xs.ravel(), ys.ravel()])) > 4.0
    assert max_density_per_m2(np.zeros((0, 2))) == 0.0


@given(st.integers(min_value=0, max_value=2**32 - 1))
@settings(max_examples=25, deadline=None)
def test_line_crossings_match_shapely(seed: int) -> None:
    from shapely.geometry import LineString

    from simulator import kernels
    from simulator.measurement import LineCounter

    rng = np.random.default_rng(seed)
    before = rng.uniform(0, 4, (300, 2))
    after = before + rng.normal(0, 0.6, (300, 2))
    lines = [LineString([(1, 0), (1, 3)]), LineString([(0, 2), (4, 2.5)])]
    counts = kernels.count_crossings(
        before[:, 0], before[:, 1], after[:, 0], after[:, 1], np.arange(300, dtype=np.int64),
        np.array([[*line.coords[0], *line.coords[1]] for line in lines]),
    )  # fmt: skip
    for line, (forward, backward) in zip(lines, counts, strict=True):
        (ax, ay), (bx, by) = line.coords
        expected = [0, 0]
        for p, q in zip(before, after, strict=True):
            if LineString([p, q]).crosses(line):
                left = (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax) > 0
                expected[0 if left else 1] += 1
        assert (forward, backward) == tuple(expected)
        counter = LineCounter(line)
        assert counter.update(before, after) == forward - backward
        assert (counter.forward, counter.backward) == (forward, backward)


@given(st.integers(min_value=0, max_value=2**32 - 1))
@settings(max_examples=25, deadline=None)
def test_line_crossings_by_tiles_count_the_same(seed: int) -> None:
    """Counting with the lines listed per tile gives the counts of testing every move against
    every line: short moves, moves longer than the tiles' reach, moves starting outside them,
    no moves, lines along tile edges and across many tiles."""
    from simulator import kernels
    from simulator.measurement import line_tiles

    rng = np.random.default_rng(seed)
    n = 2000
    before = rng.uniform(-5, 45, (n, 2))
    step = rng.normal(0, 0.5, (n, 2))
    step[::50] *= 12  # some far longer than the reach
    step[1::7] = 0.0  # some standing
    after = before + step
    crossing_tiles = np.array([[8, 0, 8, 40], [0, 16, 40, 16], [3, 3, 3.5, 3.2]], dtype=float)
    lines = np.vstack([rng.uniform(0, 40, (12, 4)), crossing_tiles])
    tiles = line_tiles(lines, x_min=0, y_min=0, x_max=40, y_max=40, size_m=4.0, reach_m=1.0)
    moved = np.arange(n, dtype=np.int64)
    xy = (before[:, 0], before[:, 1], after[:, 0], after[:, 1])
    everyone = kernels.count_crossings(*xy, moved, lines)
    assert everyone.sum() > 0
    near = kernels.count_crossings_near(
        *xy, moved, lines, tiles.first, tiles.lines, tiles.x_min, tiles.y_min, tiles.size_m,
        tiles.columns, tiles.rows, tiles.reach_m,
    )  # fmt: skip
    np.testing.assert_array_equal(near, everyone)
    assert tiles.lines.size < len(lines) * tiles.columns * tiles.rows / 2  # not every line each
