"""Open a report in headless Chromium (through Playwright), as a reader's browser would: check
that the map draws offline and take screenshots for the docs.

    python -m visualise.browser out/rank_ammonia_worst_case/report.html docs/report.png

Chromium comes from the system (Debian's `chromium` package, see .ci/debian-packages.txt);
Playwright drives it. WebGL runs on SwiftShader, Chromium's software renderer.
"""

from __future__ import annotations

import argparse
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from evac.errors import EvacError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
_FLAGS = ["--no-sandbox", "--use-gl=angle", "--use-angle=swiftshader",
          "--enable-unsafe-swiftshader"]  # fmt: skip
_CANVAS_STATS = """() => {
  const canvas = document.querySelector('#map canvas');
  if (!canvas) return null;
  const copy = document.createElement('canvas');
  copy.width = canvas.width; copy.height = canvas.height;
  const context = copy.getContext('2d');
  context.drawImage(canvas, 0, 0);
  const pixels = context.getImageData(0, 0, copy.width, copy.height).data;
  let painted = 0; const colours = new Set();
  for (let i = 0; i < pixels.length; i += 4 * 53) {
    if (pixels[i + 3] > 0) painted++;
    colours.add((pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2]);
  }
  return {width: copy.width, height: copy.height, painted: painted, colours: colours.size};
}"""


@dataclass
class PageVisit:
    """What a headless browser saw when it opened a page."""

    console_errors: list[str] = field(default_factory=list)
    network_requests: list[str] = field(default_factory=list)
    """Requests for anything but the file itself and inline data (an offline page has none)."""
    canvas_width: int = 0
    canvas_height: int = 0
    painted_samples: int = 0
    colours: int = 0
    """Distinct colours among the sampled canvas pixels (a blank map has one or two)."""
    table_rows: int = 0


def chromium_path() -> str:
    """The system's Chromium executable."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise EvacError("no Chromium found: install the Debian package 'chromium'")


def visit(page_path: Path, *, screenshot: Path | None = None, settle_s: float = 2.0) -> PageVisit:
    """Open `page_path` in headless Chromium, wait for the map to draw, and report."""
    from playwright.sync_api import sync_playwright

    seen = PageVisit()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1500})
            page.on(
                "console",
                lambda m: seen.console_errors.append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda error: seen.console_errors.append(str(error)))
            page.on(
                "request",
                lambda r: (
                    None
                    if r.url.startswith(("file:", "data:", "blob:"))
                    else seen.network_requests.append(r.url)
                ),
            )
            page.goto(page_path.resolve().as_uri())
            page.wait_for_selector("#map canvas", timeout=30_000)
            time.sleep(settle_s)  # deck.gl draws on the next animation frames
            stats = page.evaluate(_CANVAS_STATS)
            if stats:
                seen.canvas_width, seen.canvas_height = stats["width"], stats["height"]
                seen.painted_samples, seen.colours = stats["painted"], stats["colours"]
            seen.table_rows = page.locator("#ranking tr.plan").count()
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return seen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Screenshot a report in headless Chromium.")
    parser.add_argument("page", type=Path)
    parser.add_argument("png", type=Path)
    args = parser.parse_args(argv)
    seen = visit(args.page, screenshot=args.png)
    print(
        f"{args.png}: canvas {seen.canvas_width}x{seen.canvas_height}, {seen.colours} colours, "
        f"{len(seen.console_errors)} console errors, {len(seen.network_requests)} requests"
    )


if __name__ == "__main__":
    main()
