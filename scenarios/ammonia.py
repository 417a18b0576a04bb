"""An ammonia release from a refrigeration plant: source term, Gaussian puff dispersion with
Briggs urban coefficients, and what the gas does to people (AEGL levels, probit lethality).

Pure functions of space and time; the runner samples them and hands the engine arrays (a route
cost, speed factors, start times). Facts and constants: ../shared/reference/hazards.md.

Conventions: local metres (x east, y north); the wind is given as the bearing it blows FROM
(meteorological, degrees clockwise from north); concentrations in ppm at 20 °C.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import ndtr

FloatArray = npt.NDArray[np.float64]

STABILITY_CLASSES = ("A", "B", "C", "D", "E", "F")
# Briggs (1973) urban dispersion coefficients, sigma = a x (1 + b x)^c (x in m), per class.
_BRIGGS_URBAN_Y = {
    "A": (0.32, 0.0004, -0.5), "B": (0.32, 0.0004, -0.5), "C": (0.22, 0.0004, -0.5),
    "D": (0.16, 0.0004, -0.5), "E": (0.11, 0.0004, -0.5), "F": (0.11, 0.0004, -0.5),
}  # fmt: skip
_BRIGGS_URBAN_Z = {
    "A": (0.24, 0.001, 0.5), "B": (0.24, 0.001, 0.5), "C": (0.20, 0.0, 1.0),
    "D": (0.14, 0.0003, -0.5), "E": (0.08, 0.0015, -0.5), "F": (0.08, 0.0015, -0.5),
}  # fmt: skip
MG_PER_M3_PER_PPM = 0.708  # ammonia at 20 °C
# Acute Exposure Guideline Levels for ammonia, ppm, for 10, 30 and 60 minutes.
AEGL_DURATIONS_MIN = (10.0, 30.0, 60.0)
AEGL_PPM = {1: (30.0, 30.0, 30.0), 2: (220.0, 220.0, 160.0), 3: (2700.0, 1600.0, 1100.0)}
ODOUR_PPM = 5.0  # people notice the smell (threshold 5-53 ppm)
# Probit for death, CCPS (Crowl & Louvar): Pr = a + b ln(integral of C^n dt), C ppm, t min.
PROBIT_A, PROBIT_B, PROBIT_N = -35.9, 1.85, 2.0
# Liquid ammonia: saturation pressure (Antoine, NIST: log10 P[bar] = A - B / (T[K] + C)),
# liquid density, heat capacity and heat of vaporisation near 0-30 °C.
_ANTOINE = (4.86886, 1113.928, -10.409)
_BOILING_POINT_K = 239.8
_LIQUID_CP_J_KG_K = 4700.0
_HEAT_OF_VAPORISATION_J_KG = 1.37e6
_ATMOSPHERE_PA = 101_325.0


@dataclass(frozen=True, kw_only=True)
class Weather:
    """Wind speed at 10 m (m/s), the bearing it blows from (degrees), Pasquill stability."""

    wind_speed_m_s: float
    wind_from_deg: float
    stability: str

    @property
    def downwind(self) -> tuple[float, float]:
        """Unit vector (x east, y north) the wind blows toward."""
        to = math.radians(self.wind_from_deg + 180.0)
        return math.sin(to), math.cos(to)


@dataclass(frozen=True, kw_only=True)
class Release:
    """Airborne ammonia from a point: `rate_kg_s` from `start_s` for `duration_s`."""

    x: float
    y: float
    rate_kg_s: float
    start_s: float
    duration_s: float
    height_m: float = 1.0


def saturation_pressure_pa(temperature_c: float) -> float:
    """Vapour pressure of ammonia (Antoine equation, valid about -78 to 33 °C)."""
    a, b, c = _ANTOINE
    return float(10 ** (a - b / (temperature_c + 273.15 + c)) * 1e5)


def liquid_density_kg_m3(temperature_c: float) -> float:
    """Saturated liquid ammonia density (linear fit: 639 kg/m³ at 0 °C, 610 at 20 °C)."""
    return 639.0 - 1.45 * temperature_c


def flash_fraction(temperature_c: float) -> float:
    """Share of released liquid that flashes to vapour at once: cp (T - Tb) / h_vap."""
    excess = temperature_c + 273.15 - _BOILING_POINT_K
    return max(0.0, min(1.0, _LIQUID_CP_J_KG_K * excess / _HEAT_OF_VAPORISATION_J_KG))


def liquid_line_break(
    *, hole_diameter_mm: float, storage_temperature_c: float, discharge_coefficient: float = 0.62
) -> tuple[float, float]:
    """A break in a liquid line: (discharge kg/s, airborne kg/s).

    Discharge by Bernoulli for a saturated liquid, Cd·A·sqrt(2 ρ ΔP); the airborne part is twice
    the flash fraction (the rest rains out), at most all of it. A 25-50 mm break at 20 °C gives
    9-37 kg/s, a 10 mm hole 1.5 kg/s (hazards.md: 5-40 and 0.6-1.6 kg/s).
    """
    area = math.pi * (hole_diameter_mm / 2000.0) ** 2
    overpressure = max(saturation_pressure_pa(storage_temperature_c) - _ATMOSPHERE_PA, 0.0)
    density = liquid_density_kg_m3(storage_temperature_c)
    discharge = discharge_coefficient * area * math.sqrt(2.0 * density * overpressure)
    airborne = min(1.0, 2.0 * flash_fraction(storage_temperature_c))
    return discharge, discharge * airborne


def briggs_sigmas(distance_m: FloatArray, stability: str) -> tuple[FloatArray, FloatArray]:
    """Briggs urban sigma_y and sigma_z (m) at a travel distance (fitted for 100 m to 10 km;
    nearer in, the same formulas, which shrink to zero at the source)."""
    x = np.maximum(distance_m, 1.0)
    ay, by, cy = _BRIGGS_URBAN_Y[stability]
    az, bz, cz = _BRIGGS_URBAN_Z[stability]
    return ay * x * (1 + by * x) ** cy, az * x * (1 + bz * x) ** cz


class PuffModel:
    """A time-varying release as a train of Gaussian puffs, one every `puff_interval_s`, each
    carrying what was released in its interval and drifting with the wind."""

    def __init__(self, release: Release, weather: Weather, *, puff_interval_s: float = 5.0) -> None:
        if weather.stability not in STABILITY_CLASSES:
            raise ValueError(f"stability must be one of {STABILITY_CLASSES}")
        self.release = release
        self.weather = weather
        count = max(1, math.ceil(release.duration_s / puff_interval_s))
        self._birth = release.start_s + (np.arange(count) + 0.5) * puff_interval_s
        self._birth = self._birth[self._birth < release.start_s + release.duration_s + 1e-9]
        interval = release.duration_s / self._birth.size
        self._mass_kg = np.full(self._birth.size, release.rate_kg_s * interval)

    def ppm(self, x: FloatArray, y: FloatArray, t: float, *, height_m: float = 1.5) -> FloatArray:
        """Concentration (ppm) at points (x, y) at breathing height, time t (s)."""
        x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        out = np.zeros(np.broadcast(x, y).shape)
        age = t - self._birth
        alive = age > 0
        if not alive.any():
            return out
        u = self.weather.wind_speed_m_s
        ux, uy = self.weather.downwind
        travel = np.asarray(u * age[alive], dtype=float)
        sigma_y, sigma_z = briggs_sigmas(travel, self.weather.stability)
        cx = self.release.x + ux * travel
        cy = self.release.y + uy * travel
        h = self.release.height_m
        for k in range(travel.size):
            dx, dy = x - cx[k], y - cy[k]
            r2 = dx * dx + dy * dy
            sy, sz = sigma_y[k], sigma_z[k]
            vertical = math.exp(-((height_m - h) ** 2) / (2 * sz * sz)) + math.exp(
                -((height_m + h) ** 2) / (2 * sz * sz)
            )
            peak = self._mass_kg[alive][k] / ((2 * math.pi) ** 1.5 * sy * sy * sz)
            out += peak * vertical * np.exp(-r2 / (2 * sy * sy))
        return out * 1e6 / MG_PER_M3_PER_PPM


def plume_centreline_ppm(
    rate_kg_s: float, weather: Weather, distance_m: FloatArray, *, release_height_m: float,
    height_m: float,
) -> FloatArray:  # fmt: skip
    """The steady Gaussian plume on its centreline (the analytic formula the puffs must match)."""
    sigma_y, sigma_z = briggs_sigmas(np.asarray(distance_m, dtype=float), weather.stability)
    u = weather.wind_speed_m_s
    vertical = np.exp(-((height_m - release_height_m) ** 2) / (2 * sigma_z**2)) + np.exp(
        -((height_m + release_height_m) ** 2) / (2 * sigma_z**2)
    )
    kg_m3 = rate_kg_s / (2 * np.pi * u * sigma_y * sigma_z) * vertical
    return np.asarray(kg_m3 * 1e6 / MG_PER_M3_PER_PPM, dtype=float)


class Exposure:
    """What each person breathed: samples of concentration every `every_s` seconds."""

    def __init__(self, people: int, *, every_s: float) -> None:
        self.every_s = every_s
        self._samples: list[FloatArray] = []
        self._people = people

    def record(self, ids: npt.NDArray[np.int64], ppm: FloatArray) -> None:
        """One sample: the concentration at each listed person (the others breathe clean air)."""
        row = np.zeros(self._people)
        row[ids] = ppm
        self._samples.append(row)

    @property
    def history(self) -> FloatArray:
        """(samples, people) ppm."""
        if not self._samples:
            return np.zeros((0, self._people))
        return np.vstack(self._samples)

    def peak_ppm(self) -> FloatArray:
        history = self.history
        return history.max(axis=0) if history.size else np.zeros(self._people)

    def toxic_load(self) -> FloatArray:
        """Integral of C^n dt per person (ppm^n min)."""
        load = (self.history**PROBIT_N).sum(axis=0) * self.every_s / 60.0
        return np.asarray(load, dtype=float)

    def fatality_probability(self) -> FloatArray:
        """Probit (CCPS): P = Phi(Pr - 5), Pr = a + b ln(toxic load)."""
        load = self.toxic_load()
        with np.errstate(divide="ignore"):
            probit = PROBIT_A + PROBIT_B * np.log(load)
        return np.where(load > 0, ndtr(probit - 5.0), 0.0)

    def above_aegl(self, level: int) -> npt.NDArray[np.bool_]:
        """Who breathed more than AEGL-`level` averaged over 10, 30 or 60 minutes (a shorter
        exposure counts as its average over 10 minutes)."""
        history = self.history
        above = np.zeros(self._people, dtype=bool)
        if not history.size:
            return above
        cumulative = np.vstack([np.zeros(self._people), np.cumsum(history, axis=0)])
        for minutes, limit in zip(AEGL_DURATIONS_MIN, AEGL_PPM[level], strict=True):
            window = max(1, round(minutes * 60.0 / self.every_s))
            if history.shape[0] >= window:
                means = (cumulative[window:] - cumulative[:-window]) / window
            else:
                means = cumulative[-1:] / window  # the whole exposure, spread over the window
            above |= means.max(axis=0) > limit
        return above
