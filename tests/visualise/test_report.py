"""The commander's report opens offline in headless Chromium: no console errors, no network, a
map that is drawn and the ranking table."""

from __future__ import annotations

import json
import re
from pathlib import Path

from visualise.browser import visit


def test_report_draws_offline_in_chromium(small_ranking: Path) -> None:
    page = small_ranking / "report.html"
    markup = re.sub(r"<script>.*?</script>", "", page.read_text(encoding="utf-8"), flags=re.S)
    sources = re.findall(r"(?:src|href)=[\"']([^\"']*)", markup)
    assert all(source.startswith("data:") for source in sources), sources
    seen = visit(page)
    assert seen.console_errors == []
    assert seen.network_requests == []
    assert seen.canvas_width > 500 and seen.canvas_height > 300
    assert seen.painted_samples > 1000
    assert seen.colours >= 6  # land, water, buildings, routes, plume: not a blank canvas
    ranking = json.loads((small_ranking / "ranking.json").read_text(encoding="utf-8"))
    assert seen.table_rows == len(ranking["plans"])
