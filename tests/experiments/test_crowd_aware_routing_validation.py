"""The crowd-aware routing comparison: its report from known rows, and the measured corner."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments import crowd_aware_routing_validation as comparison
from experiments.corner_validation import CORNER
from experiments.crowd_aware_routing_validation import Case, CaseTiming, Row


def test_report_marks_closer_rows_and_averages_the_validation_errors(tmp_path: Path) -> None:
    rows = [
        Row("corner", "spread (m)", 2.0, 1.0, 1.8, chosen_on=True),
        Row("door", "flow (1/s)", 2.0, 2.2, 2.1, chosen_on=False),  # +10 % -> +5 %: closer
        Row("door", "density (1/m²)", 4.0, 3.0, 2.0, chosen_on=False),  # -25 % -> -50 %
    ]
    path = comparison.write_report(rows, [CaseTiming("door", 3, 10.0, 25.0)], tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "| corner (chosen on) | spread (m) | 2.00 | 1.00 | -50% | 1.80 | -10% | yes |" in text
    assert "| door | flow (1/s) | 2.00 | 2.20 | +10% | 2.10 | +5% | yes |" in text
    assert "| door | density (1/m²) | 4.00 | 3.00 | -25% | 2.00 | -50% |  |" in text
    assert "| door | 3 | 10 | 25 | 2.50 |" in text
    # Validation rows only: (10 + 25) / 2 = 17.5 % static, (5 + 50) / 2 = 27.5 % crowd-aware.
    assert "closer to the measurement in 1 of 2 quantities" in text
    assert "17.5% with static fields, 27.5% crowd-aware" in text


@pytest.mark.skipif(not CORNER.exists(), reason="shared/validation is missing")
def test_crowd_aware_routing_spreads_the_measured_corner() -> None:
    corner = Case("corner", (0,), True, comparison.corner)
    rows, timings = comparison.compare([corner])
    by_quantity = {r.quantity: r for r in rows}
    wide = by_quantity["distance from the inner corner, 90th percentile (m)"]
    assert wide.measured == pytest.approx(1.94, abs=0.01)
    # Static fields turn everyone close to the inner corner; the crowd's cost spreads the turn
    # towards the measured spread (both ways written down in docs/validation).
    assert wide.static_error < -0.2
    assert abs(wide.crowd_aware_error) < abs(wide.static_error) - 0.1
    time_round = by_quantity["time round the corner, median (s)"]
    assert abs(time_round.crowd_aware_error) < 0.1
    assert timings[0].static_s > 0 and timings[0].crowd_aware_s > 0
