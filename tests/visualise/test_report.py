"""The commander's report opens offline in headless Chromium: no console errors, no network, a
map that is drawn and the ranking table."""

from __future__ import annotations

import json
import re
from pathlib import Path

from visualise.browser import visit
from visualise.report import status_banner


def test_report_draws_offline_in_chromium(small_ranking: Path) -> None:
    page = small_ranking / "report.html"
    markup = re.sub(r"<script>.*?</script>", "", page.read_text(encoding="utf-8"), flags=re.S)
    sources = re.findall(r"(?:src|href)=[\"']([^\"']*)", markup)
    assert all(source.startswith("data:") for source in sources), sources
    assert "PROVISIONAL" not in markup  # the last write is the final ranking
    seen = visit(page)
    assert seen.console_errors == []
    assert seen.network_requests == []
    assert seen.canvas_width > 500 and seen.canvas_height > 300
    assert seen.painted_samples > 1000
    assert seen.colours >= 6  # land, water, buildings, routes, plume: not a blank canvas
    ranking = json.loads((small_ranking / "ranking.json").read_text(encoding="utf-8"))
    assert seen.table_rows == len(ranking["plans"])


def test_a_provisional_ranking_says_so() -> None:
    status = {"state": "provisional", "seeds_done": 1, "seeds": 5, "runs_done": 6, "runs": 30}
    banner = status_banner({"status": status})
    assert "PROVISIONAL" in banner and "1 of 5 seeds per plan" in banner
    assert "(6 of 30 runs)" in banner
    assert status_banner({"status": {**status, "state": "final"}}) == ""
    assert status_banner({}) == ""  # a ranking written before rankings had a status
    expected = {**status, "expected_final_at": "2026-11-25T08:04:31+0000"}
    assert "The final ranking is expected at about 08:04" in status_banner({"status": expected})
