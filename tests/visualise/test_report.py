"""The commander's report opens offline in headless Chromium: no console errors, no network, a
map that is drawn and the ranking table."""

from __future__ import annotations

import json
import re
from pathlib import Path

from visualise.browser import visit
from visualise.report import crowd_text, status_banner, t95_cell


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


def test_t95_cell_says_when_no_run_got_95_percent_out() -> None:
    t95 = {"mean": 2400.0, "ci_low": 2400.0, "ci_high": 2400.0}
    plan = {"t95_s": t95, "censored_seeds": 5, "seeds": [0, 1, 2, 3, 4],
            "evacuated": {"mean": 8963.2}}  # fmt: skip
    assert t95_cell(plan) == "&gt; 2400<br><small>no run got 95 % out; 8963 out by then</small>"
    partly = {**plan, "t95_s": {"mean": 2210.0, "ci_low": 1990.0, "ci_high": 2430.0},
              "censored_seeds": 2}  # fmt: skip
    assert t95_cell(partly) == (
        "2210 <small>[1990, 2430]</small><br><small>2 of 5 runs did not reach 95 %: too low</small>"
    )
    assert t95_cell({**partly, "censored_seeds": 0}) == "2210 <small>[1990, 2430]</small>"


def test_the_intro_says_when_the_crowd_was_counted_on_the_ground() -> None:
    counted = {"observed_at": "2026-12-07T21:40:00+01:00", "source": "stewards <radio>",
               "counts": {"North stand": 900}}  # fmt: skip
    assert crowd_text(counted) == (
        " as counted on the ground at 2026-12-07T21:40:00+01:00 (stewards <radio>)"
    )
    assert crowd_text({**counted, "observed_at": None, "source": None}) == (
        " as counted on the ground"
    )
    assert crowd_text(None) == ""  # the scenario's planned crowd
