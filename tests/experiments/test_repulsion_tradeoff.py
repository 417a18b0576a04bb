"""The repulsion study's table and its reading of the counterflow check."""

from __future__ import annotations

import pytest

from experiments.bottleneck_validation import WUPPERTAL, WUPPERTAL_RUNS, validate
from experiments.repulsion_tradeoff import TradeOff, WuppertalError, passing_summary, table
from simulator import CollisionFreeSpeedModel


def _row(counterflow: tuple[float | None, ...]) -> TradeOff:
    return TradeOff(
        neighbour_strength=3.0,
        neighbour_range_m=0.1,
        crowd_time_gap_s=0.3,
        wuppertal=(WuppertalError("030_c_56_h0", -0.079, -0.194),
                   WuppertalError("040_c_56_h-", -0.107, -0.072)),
        seyfried_flow_rms=0.061,
        counterflow_s=counterflow,
    )  # fmt: skip


def test_a_stuck_seed_fails_the_counterflow_check() -> None:
    assert _row((128.0, 145.0, 140.0)).counterflow_passes
    assert not _row((316.0, None, None)).counterflow_passes
    rows = [_row((316.0, None, None)), _row((128.0, 145.0, 140.0))]
    assert passing_summary(rows) == (
        "Counterflow through in every seed: strength 3, range 0.1 m, 0.30 s (1 of 2 variants)."
    )
    assert passing_summary(rows[:1]) == "Counterflow through in every seed: none (0 of 1 variants)."


def test_the_table_has_a_row_per_pair_with_signed_errors() -> None:
    lines = table([_row((316.0, None, None)), _row((128.0, 145.0, 140.0))])
    assert lines[0].startswith("| strength | range (m) | crowd time gap (s) | 030_c_56_h0 flow |")
    assert lines[1] == "|" + "---|" * 9
    assert lines[2] == (
        "| 3 | 0.1 | 0.30 | -7.9% | -19% | -10.7% | -7% | 6.1% | 316 s, stuck, stuck |"
    )
    assert lines[3].endswith("| 128 s, 145 s, 140 s |")
    assert len(lines) == 4


@pytest.mark.slow
@pytest.mark.skipif(not WUPPERTAL.exists(), reason="shared/validation is missing")
def test_weaker_repulsion_packs_the_waiting_crowd_closer() -> None:
    """What the study rests on: at the Wuppertal door a third of JuPedSim's repulsion lets the
    crowd wait more densely (seed 0 of run 030: about 4.1 against 3.1 persons/m²)."""
    densities = []
    for strength in (3.0, 8.0):
        parameters = CollisionFreeSpeedModel(neighbour_strength=strength)
        (result,) = validate(parameters, seeds=(0,), runs=WUPPERTAL_RUNS[:1], densities=True)
        assert result.simulated_density is not None
        densities.append(result.simulated_density.mean_voronoi_per_m2)
    weak, strong = densities
    assert weak > 1.15 * strong
