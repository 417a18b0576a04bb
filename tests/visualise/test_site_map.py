"""The site map: an image a planner can read, showing the place described in shared/site."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np

from city_data import Site
from visualise.site_map import save_site_map


def test_map_shows_walkable_area_water_and_places(plzen: Site, tmp_path: Path) -> None:
    out = save_site_map(plzen, tmp_path / "plzen.png", dpi=50)
    image = mpimg.imread(out)[..., :3]
    assert image.shape[0] > 300 and image.shape[1] > 300

    def share_near(colour: str) -> float:
        rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
        return float((np.abs(image - rgb).max(axis=-1) < 0.03).mean())

    assert share_near("#9ecae1") > 0.01  # the rivers
    assert share_near("#e8e4da") > 0.02  # the walkable area
    assert share_near("#d7191c") > 0.0  # gate markers
