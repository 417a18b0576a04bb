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
