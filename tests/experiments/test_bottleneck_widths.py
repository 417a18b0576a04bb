"""Bottleneck flow against width, beside published laboratory flows (Seyfried 2009, Liddle 2011)."""

from __future__ import annotations

import pytest

from experiments.bottleneck_widths import PUBLISHED, compare, geometry

# The narrowest door (Seyfried) and the widest (Liddle); all 13 in experiments.bottleneck_widths.
ENDS = tuple(r for r in PUBLISHED if (r[0], r[2]) in {("Seyfried 2009", 0.8),
                                                      ("Liddle 2011", 2.0)})  # fmt: skip


def test_geometry_has_the_door_width_and_the_line_across_it() -> None:
    area, exit_polygon, line = geometry(1.2)
    assert line.length == pytest.approx(1.2)
    assert area.contains(line.interpolate(0.5, normalized=True))
    assert area.intersects(exit_polygon)
    assert area.area == pytest.approx(10 * 8 + 2 * 1.2 + 3 * 8, abs=0.1)


@pytest.mark.slow
def test_flow_within_20_percent_of_the_published_flows_and_everyone_through() -> None:
    results = compare(rows=ENDS, seeds=(0, 1))
    assert len(results) == 2
    for result in results:
        assert result.evacuated == result.persons, result
        assert abs(result.relative_error) <= 0.20, result
    # Wider doors pass more people.
    assert results[1].simulated_per_s > results[0].simulated_per_s * 2
