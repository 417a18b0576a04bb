"""Ammonia: source term against the reference ranges, puffs against the analytic plume, toxic
thresholds and probit against their published values, and a run that writes hazard.nc."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from scenarios.ammonia import (
    Exposure,
    PuffModel,
    Release,
    Weather,
    flash_fraction,
    liquid_line_break,
    plume_centreline_ppm,
)
from scenarios.scenario_file import LIBRARY
from tests.evac.test_cli import assert_one_line_error, evac
from tests.scenarios.test_site_scenario import run_small_match_day


def test_source_term_matches_the_reference_ranges() -> None:
    # hazards.md: flash 11 % at 0 °C, 18 % at 20 °C, 21 % at 30 °C; a 25-50 mm liquid line
    # 5-40 kg/s, a 10 mm hole 0.6-1.6 kg/s.
    assert flash_fraction(0) == pytest.approx(0.11, abs=0.01)
    assert flash_fraction(20) == pytest.approx(0.18, abs=0.01)
    assert flash_fraction(30) == pytest.approx(0.21, abs=0.01)
    for diameter in (25, 50):
        assert 5 <= liquid_line_break(hole_diameter_mm=diameter, storage_temperature_c=20)[0] <= 40
    assert 0.6 <= liquid_line_break(hole_diameter_mm=10, storage_temperature_c=20)[0] <= 1.6


@pytest.mark.parametrize(("stability", "speed"), [("D", 3.0), ("F", 1.5), ("B", 2.0)])
def test_steady_puffs_match_the_gaussian_plume(stability: str, speed: float) -> None:
    weather = Weather(wind_speed_m_s=speed, wind_from_deg=270.0, stability=stability)  # to +x
    release = Release(x=0, y=0, rate_kg_s=5.0, start_s=0, duration_s=7200, height_m=1.0)
    distances = np.array([100.0, 300.0, 1000.0])
    puffs = PuffModel(release, weather, puff_interval_s=2.0).ppm(distances, np.zeros(3), 3600)
    plume = plume_centreline_ppm(5.0, weather, distances, release_height_m=1.0, height_m=1.5)
    np.testing.assert_allclose(puffs, plume, rtol=0.10)
    # Downwind: 200 m upwind there is next to nothing (a millionth of the level 100 m downwind).
    upwind = PuffModel(release, weather).ppm(np.array([-200.0]), np.zeros(1), 3600)[0]
    assert upwind < 1e-6 * plume[0]


def test_exposure_thresholds_and_probit() -> None:
    exposure = Exposure(3, every_s=10.0)
    for _ in range(60):  # ten minutes
        exposure.record(np.array([0, 1, 2]), np.array([40.0, 300.0, 3000.0]))
    assert exposure.above_aegl(1).tolist() == [True, True, True]
    assert exposure.above_aegl(2).tolist() == [False, True, True]
    assert exposure.above_aegl(3).tolist() == [False, False, True]
    # CCPS probit: half die after 30 minutes at about 11,500 ppm (hazards.md).
    lc50 = Exposure(1, every_s=60.0)
    for _ in range(30):
        lc50.record(np.array([0]), np.array([11_500.0]))
    assert lc50.fatality_probability()[0] == pytest.approx(0.5, abs=0.03)


def test_an_ammonia_run_writes_hazard_nc_in_ppm(tmp_path: Path) -> None:
    out = tmp_path / "result"
    summary = run_small_match_day(
        "ammonia_worst_case", out, stadium=300, park=20, streets=10, stops=5, duration_s=900
    )
    for key in ("exposed_above_aegl1", "exposed_above_aegl2", "exposed_above_aegl3"):
        assert isinstance(summary[key], int)
    assert summary["exposed_above_aegl1"] > 0  # the plume reaches the stadium
    assert summary["expected_fatalities"] >= 0.0
    with xr.open_dataset(out / "hazard.nc") as hazard:
        assert hazard["ammonia"].attrs["units"] == "ppm"
        assert hazard["ammonia"].dims == ("time", "y", "x")
        assert float(hazard["ammonia"].max()) > 220.0  # above AEGL-2 somewhere


def test_ammonia_mistakes_name_the_key(tmp_path: Path) -> None:
    text = (LIBRARY / "ammonia_worst_case.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('stability = "F"', 'stability = "G"'))
    assert_one_line_error(evac("run", str(bad), "--out", str(tmp_path / "o")), "ammonia.stability")
    bad.write_text(text.replace("wind_speed_m_s = 1.5", "wind_speed_m_s = -1"))
    assert_one_line_error(
        evac("run", str(bad), "--out", str(tmp_path / "o")), "ammonia.wind_speed_m_s must be"
    )


def test_one_hazard_per_scenario(tmp_path: Path) -> None:
    text = (LIBRARY / "ammonia_worst_case.toml").read_text(encoding="utf-8")
    both = tmp_path / "both.toml"
    both.write_text(text + '\n[attack]\nkind = "explosion"\nxy = [0, 0]\n', encoding="utf-8")
    assert_one_line_error(evac("run", str(both), "--out", str(tmp_path / "o")), "one hazard")
