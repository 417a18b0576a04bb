"""The commander's report: one self-contained HTML page for a ranking, readable offline.

The map is drawn by deck.gl from our own data (no tile server): the walkable area, buildings
and water of the site, the ranked plans' routes, the hazard (plume zones by AEGL level, or the
threat point and cordon) and the density hot spots. The layers are pydeck layers; the deck.gl
bundle that pydeck ships is inlined in the page, so nothing is fetched from the network. Below
the map: the evacuation curves of every plan with their bands over the seeds, and the table.
"""

from __future__ import annotations

import base64
import html
import io
import math
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pydeck as pdk
import shapely
from shapely.geometry import Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from city_data.frame import LocalFrame
from experiments.ranking.compare import censored, format_interval, t95_parts
from experiments.ranking.plans import RankingContext
from scenarios.ammonia import AEGL_PPM
from scenarios.attack import cordon_radius_m, threat_position

# One colour per rank (colour-blind safe, Okabe-Ito), then grey.
RANK_COLOURS = [
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (86, 180, 233),
    (213, 94, 0),
    (240, 228, 66),
]
HAZARD_GRID_M = 10.0
_HAZARD_LEVELS = ((1, (255, 230, 120, 90)), (2, (255, 140, 0, 110)), (3, (200, 0, 0, 130)))


def write_report(
    ranking: dict[str, Any],
    context: RankingContext,
    summaries: list[dict[str, Any]],
    routes: dict[str, dict[str, list[tuple[float, float]]]],
    path: Path,
) -> Path:
    """Write report.html for a ranking (see the module docstring); `routes`: per plan and
    origin, the screening's path in local metres."""
    deck = _deck(ranking, context, summaries, routes)
    page = _PAGE.format(
        title=html.escape(f"Evacuation plans: {ranking['scenario']}"),
        bundle=_deck_bundle(),
        deck_json=deck.to_json(),
        heading=html.escape(ranking["scenario"]),
        status=status_banner(ranking),
        intro=html.escape(_intro(ranking)),
        legend=_legend(ranking, context),
        curves=_curves_png(ranking, summaries),
        table=_table(ranking),
        dropped=_dropped_table(ranking),
        comparison=_comparison(ranking),
        criterion=html.escape(ranking["criterion"]),
        approximate=(
            "The map is approximate (built from public facts, not surveyed)."
            if context.site.approximate
            else ""
        ),
    )
    path.write_text(page, encoding="utf-8")
    return path


def _deck_bundle() -> str:
    """pydeck's deck.gl bundle, to inline (it defines `createDeck`)."""
    bundle = resources.files("pydeck") / "nbextension" / "static" / "index.js"
    text = bundle.read_text(encoding="utf-8")
    return text.replace("</script>", "<\\/script>")


def _deck(
    ranking: dict[str, Any],
    context: RankingContext,
    summaries: list[dict[str, Any]],
    plan_routes: dict[str, dict[str, list[tuple[float, float]]]],
) -> pdk.Deck:
    site, frame = context.site, context.site.frame
    clip = box(*context.venue.bounds)

    def polygons(geometry: BaseGeometry, name: str) -> list[dict[str, Any]]:
        return [{"polygon": _lonlat_ring(frame, p), "name": name} for p in _polygons(geometry)]

    def lonlat(x: float, y: float) -> list[float]:
        lon, lat = frame.to_wgs84(x, y)
        return [round(float(lon), 7), round(float(lat), 7)]

    # The city from our own data: ground, water and buildings, as plain filled polygons.
    background = (
        ("walkable", context.venue.walkable_area.simplify(0.5), [225, 222, 214]),
        ("water", site.water.intersection(clip), [160, 200, 230]),
        ("buildings", site.buildings.intersection(clip), [150, 150, 150]),
    )
    layers = [
        pdk.Layer(
            "PolygonLayer",
            polygons(geometry, name),
            get_polygon="polygon",
            get_fill_color=colour,
            stroked=False,
            id=name,
        )
        for name, geometry, colour in background
    ]
    hazard = _hazard_zones(context)
    layers.append(
        pdk.Layer(
            "PolygonLayer",
            hazard,
            get_polygon="polygon",
            get_fill_color="colour",
            stroked=True,
            get_line_color=[120, 0, 0],
            line_width_min_pixels=1,
            pickable=True,
            id="hazard",
        )
    )
    routes = []
    for entry in ranking["plans"]:
        colour = list(RANK_COLOURS[(entry["rank"] - 1) % len(RANK_COLOURS)])
        for origin, points in plan_routes.get(entry["name"], {}).items():
            routes.append(
                {
                    "path": [lonlat(x, y) for x, y in points],
                    "colour": colour,
                    "name": f"{entry['rank']}. {entry['name']} ({origin})",
                    "width": 6 if entry["rank"] == 1 else 3,
                }
            )
    layers.append(
        pdk.Layer(
            "PathLayer",
            routes,
            get_path="path",
            get_color="colour",
            get_width="width",
            width_units="'pixels'",
            pickable=True,
            id="routes",
        )
    )
    spots: list[dict[str, Any]] = []
    for summary in summaries:
        for spot in summary.get("density_hot_spots", []):
            x, y = spot["x_m"], spot["y_m"]
            spots.append(
                {
                    "position": lonlat(x, y),
                    "name": f"{summary['plan']}: "
                    f"{spot['person_seconds_above_4_per_m2']:.0f} person-s above 4/m²",
                    "weight": float(spot["person_seconds_above_4_per_m2"]),
                }
            )
    if spots:
        top = max(float(s["weight"]) for s in spots) or 1.0
        for s in spots:
            s["radius"] = 4.0 + 16.0 * math.sqrt(float(s["weight"]) / top)
    layers.append(
        pdk.Layer(
            "ScatterplotLayer",
            spots,
            get_position="position",
            get_radius="radius",
            get_fill_color=[120, 0, 120, 140],
            pickable=True,
            id="hot_spots",
        )
    )
    # Destinations as outlined areas named in the tooltip (deck.gl's JSON layer props turn
    # strings into accessors, so a TextLayer cannot be given the Czech letters it needs).
    destinations = [
        {"polygon": _lonlat_ring(frame, polygon), "name": f"destination: {d.name}"}
        for d in context.venue.destinations
        for polygon in _polygons(d.area)
    ]
    layers.append(
        pdk.Layer(
            "PolygonLayer",
            destinations,
            get_polygon="polygon",
            get_fill_color=[26, 150, 65, 60],
            get_line_color=[26, 150, 65],
            line_width_min_pixels=2,
            pickable=True,
            id="destinations",
        )
    )
    x0, y0, x1, y1 = context.venue.bounds
    lon, lat = frame.to_wgs84((x0 + x1) / 2, (y0 + y1) / 2)
    return pdk.Deck(
        layers=layers,
        initial_view_state=pdk.ViewState(longitude=float(lon), latitude=float(lat), zoom=15.2),
        map_provider=None,
        map_style=None,
        tooltip={"text": "{name}"},
    )


def _hazard_zones(context: RankingContext) -> list[dict[str, Any]]:
    """Plume zones (the peak concentration above each AEGL's 60-minute value) or the attack's
    threat point and cordon, as polygons in lon/lat."""
    frame = context.site.frame
    shapes: list[tuple[BaseGeometry, tuple[int, int, int, int], str]] = []
    if context.plume is not None:
        x0, y0, x1, y1 = context.venue.bounds
        xs = np.arange(x0, x1, HAZARD_GRID_M) + HAZARD_GRID_M / 2
        ys = np.arange(y0, y1, HAZARD_GRID_M) + HAZARD_GRID_M / 2
        gx, gy = np.meshgrid(xs, ys)
        release = context.plume.release
        peak = np.zeros(gx.shape)
        for t in np.arange(release.start_s, release.start_s + release.duration_s + 1800, 30.0):
            peak = np.maximum(peak, context.plume.ppm(gx, gy, float(t)))
        half = HAZARD_GRID_M / 2
        for level, colour in _HAZARD_LEVELS:
            limit = AEGL_PPM[level][2]
            cells = np.argwhere(peak > limit)
            if cells.size == 0:
                continue
            area = shapely.union_all(
                [box(xs[c] - half, ys[r] - half, xs[c] + half, ys[r] + half) for r, c in cells]
            )
            shapes.append((area, colour, f"ammonia peak above AEGL-{level} ({limit:.0f} ppm)"))
    scenario = context.scenario
    if scenario.attack is not None:
        x, y = threat_position(scenario.attack, context.site)
        radius = cordon_radius_m(scenario.attack)
        shapes.append((Point(x, y).buffer(radius), (200, 0, 0, 70), "cordon"))
        shapes.append((Point(x, y).buffer(6.0), (200, 0, 0, 220), f"{scenario.attack.kind}"))
    return [
        {"polygon": _lonlat_ring(frame, polygon), "colour": list(colour), "name": name}
        for geometry, colour, name in shapes
        for polygon in _polygons(geometry)
    ]


def _polygons(geometry: BaseGeometry) -> list[Polygon]:
    return [g for g in getattr(geometry, "geoms", [geometry]) if isinstance(g, Polygon)]


def _lonlat_ring(frame: LocalFrame, polygon: Polygon) -> list[list[float]]:
    """A polygon's outer ring in WGS84 [lon, lat] pairs (7 decimals: about 1 cm)."""
    coords = np.asarray(polygon.exterior.coords)
    lon, lat = frame.to_wgs84(coords[:, 0], coords[:, 1])
    ring: list[list[float]] = np.round(np.column_stack([lon, lat]), 7).tolist()
    return ring


def status_banner(ranking: dict[str, Any]) -> str:
    """The banner of a provisional ranking (written before all seeds are in); empty when final."""
    status = ranking.get("status", {})
    if status.get("state") != "provisional":
        return ""
    expected = status.get("expected_final_at")
    when = (
        " The final ranking is expected at about "
        f"{datetime.fromisoformat(expected):%H:%M} (from the pace of the runs so far)."
        if expected
        else ""
    )
    return (
        f'<p class="provisional"><b>PROVISIONAL</b>: {status["seeds_done"]} of '
        f"{status['seeds']} seeds per plan so far ({status['runs_done']} of {status['runs']} "
        "runs); the order may still change. This page is rewritten after every round of seeds."
        f"{when}</p>"
    )


def _intro(ranking: dict[str, Any]) -> str:
    best = ranking["plans"][0] if ranking["plans"] else None
    if best is None:
        return "No plan could be simulated."
    seeds = ranking["seeds_per_plan"]
    since = ranking.get("order_unchanged_since_seeds")
    settled = (
        f" The order has been the same since {since} seed{'s' * (since != 1)} per plan."
        if since is not None and since < seeds
        else ""
    )
    return (
        f"{len(ranking['plans'])} plans simulated with {seeds} seed{'s' * (seeds != 1)} each "
        f"for {ranking['people']:,} people{crowd_text(ranking.get('situation'))}; "
        f"{len(ranking['screened_out'])} more screened out. "
        f"Recommended: {best['name']}. {best['explanation']} {ranking['summary']}{settled}"
    )


def crowd_text(situation: dict[str, Any] | None) -> str:
    """Where the ranking's crowd came from, when it is a situation on the ground (plain text:
    the intro is escaped as a whole)."""
    if situation is None:
        return ""
    when = f" at {situation['observed_at']}" if situation.get("observed_at") else ""
    source = f" ({situation['source']})" if situation.get("source") else ""
    return f" as counted on the ground{when}{source}"


def _legend(ranking: dict[str, Any], context: RankingContext) -> str:
    items = []
    for entry in ranking["plans"]:
        r, g, b = RANK_COLOURS[(entry["rank"] - 1) % len(RANK_COLOURS)]
        items.append(
            f'<li><span class="swatch" style="background:rgb({r},{g},{b})"></span>'
            f"{entry['rank']}. {html.escape(entry['name'])}</li>"
        )
    if context.plume is not None:
        items.append(
            '<li><span class="swatch" style="background:#ffe678"></span>'
            "ammonia above AEGL-1 / 2 / 3 (darker: higher)</li>"
        )
    if context.scenario.attack is not None:
        items.append(
            '<li><span class="swatch" style="background:#c80000"></span>threat and cordon</li>'
        )
    items.append(
        '<li><span class="swatch round" style="background:#780078"></span>'
        "density hot spots (person-seconds above 4/m²)</li>"
    )
    names = ", ".join(html.escape(d.name) for d in context.venue.destinations)
    items.append(
        f'<li><span class="swatch" style="background:#1a9641"></span>destinations: {names}</li>'
    )
    return "<ul class='legend'>" + "".join(items) + "</ul>"


def _curves_png(ranking: dict[str, Any], summaries: list[dict[str, Any]]) -> str:
    """Evacuation curves: each plan's mean share out over time, the band from its seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.6))
    for entry in ranking["plans"]:
        colour = np.array(RANK_COLOURS[(entry["rank"] - 1) % len(RANK_COLOURS)]) / 255
        curves = [s["evacuation_curve"] for s in summaries if s["plan"] == entry["name"]]
        if not curves:
            continue
        step = curves[0]["every_s"]
        length = max(len(c["out"]) for c in curves)
        counts = np.array([c["out"] + [c["out"][-1]] * (length - len(c["out"])) for c in curves])
        share = counts / ranking["people"] * 100
        t = np.arange(length) * step
        ax.fill_between(t, share.min(axis=0), share.max(axis=0), color=colour, alpha=0.25, lw=0)
        ax.plot(
            t,
            share.mean(axis=0),
            color=colour,
            lw=1.6,
            label=f"{entry['rank']}. {entry['name'][:48]}",
        )
    ax.axhline(95, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("time after the start (s)")
    ax.set_ylabel("people at a destination (%)")
    ax.set_ylim(0, 101)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="evacuation curves" src="data:image/png;base64,{encoded}">'


def _interval(metric: dict[str, Any], digits: int = 0) -> str:
    mean, spread = format_interval(metric, digits=digits).split(" ", 1)
    return f"{mean} <small>{spread}</small>"


def t95_cell(plan: dict[str, Any]) -> str:
    """T95 with its interval, and a remark on runs that never got 95 % out (compare.t95_parts)."""
    value, remark = t95_parts(plan, unit="")
    cell = html.escape(value) if censored(plan) else _interval(plan["t95_s"])
    return cell + (f"<br><small>{html.escape(remark)}</small>" if remark else "")


def _table(ranking: dict[str, Any]) -> str:
    rows = []
    for p in ranking["plans"]:
        rows.append(
            '<tr class="plan">'
            f"<td>{p['rank']}</td><td><b>{html.escape(p['name'])}</b>"
            f"<br><small>{html.escape(', '.join(p['via'][:6]))}</small></td>"
            f"<td>{p['lower_bound_s']:.0f}</td><td>{t95_cell(p)}</td>"
            f"<td>{_interval(p['exposed_above_aegl2'])}</td>"
            f"<td>{_interval(p['expected_fatalities'], 1)}</td>"
            f"<td>{_interval(p['casualties'], 1)}</td>"
            f"<td>{_interval(p['max_density_per_m2'], 1)}</td>"
            f"<td>{_interval(p['mean_walking_distance_m'])}</td>"
            f"<td>{'yes' if p['pareto'] else ''}</td>"
            f"<td>{html.escape(p['explanation'])}</td>"
            "</tr>"
        )
    return "".join(rows)


def _dropped_table(ranking: dict[str, Any]) -> str:
    if not ranking["screened_out"]:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(d['name'])}</td><td>{d['lower_bound_s']:.0f}</td>"
        f"<td>{d['estimated_t95_s']:.0f}</td><td>{d['estimated_above_aegl2']:.0f}</td>"
        f"<td>{html.escape(d['reason'])}</td></tr>"
        for d in ranking["screened_out"]
    )
    return (
        "<h2>Screened out (network model only)</h2><table><tr><th>plan</th>"
        "<th>lower bound T95 (s)</th><th>estimated T95 (s)</th><th>estimated above AEGL-2</th>"
        f"<th>why</th></tr>{rows}</table>"
    )


def _comparison(ranking: dict[str, Any]) -> str:
    """How the order differs from another ranking's (`evac rank --compare-with`), if asked."""
    compared = ranking.get("compared_with")
    if compared is None:
        return ""
    items = "".join(
        f"<li>{html.escape(c['name'])} {html.escape(c['because'])}</li>"
        for c in compared["changes"]
    )
    unmatched = " ".join(
        f"Ranked only {where}: {', '.join(names)}."
        for where, names in (("here", compared["only_here"]), ("there", compared["only_there"]))
        if names
    )
    there = html.escape(compared["scenario"])
    return (
        f'<section id="comparison"><h2>Compared with {there}</h2>'
        f"<p>{html.escape(compared['summary'])} There: {html.escape(compared['order_there'])} "
        f"Here: {html.escape(ranking['summary'])}</p><ul>{items}</ul>"
        f"<p>{html.escape(unmatched)}</p></section>"
    )


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 0; color: #222; }}
header, section {{ padding: 8px 16px; }}
#map {{ position: relative; height: 560px; border-top: 1px solid #ccc;
        border-bottom: 1px solid #ccc; background: #f4f2ee; }}
table {{ border-collapse: collapse; font-size: 13px; }}
th, td {{ border: 1px solid #ccc; padding: 3px 6px; vertical-align: top; }}
th {{ background: #eee; }}
.legend {{ list-style: none; padding: 0; font-size: 13px; columns: 2; }}
.swatch {{ display: inline-block; width: 14px; height: 10px; margin-right: 6px; }}
.round {{ border-radius: 50%; width: 10px; }}
small {{ color: #555; }}
.provisional {{ background: #fff3cd; border: 1px solid #e0b000; padding: 6px 10px; }}
</style>
<script>{bundle}</script>
</head>
<body>
<header>
<h1>{heading}</h1>
{status}
<p>{intro}</p>
<p><small>Order: {criterion}. Intervals are 95 % confidence intervals of the mean over the
seeds. Lower bound: the network screening's bound on T95 (no run can clear faster).
{approximate}</small></p>
</header>
<div id="map"></div>
<section>{legend}</section>
{comparison}
<section><h2>Evacuation curves</h2>{curves}</section>
<section><h2>Ranking</h2>
<table id="ranking"><tr><th>#</th><th>plan and ways used</th><th>lower bound T95 (s)</th>
<th>T95 (s)</th>
<th>above AEGL-2</th><th>expected fatalities</th><th>casualties</th>
<th>peak density (/m²)</th><th>mean walk (m)</th><th>Pareto</th><th>why</th></tr>
{table}
</table>
{dropped}
</section>
<script>
const deckInstance = createDeck({{
  container: document.getElementById('map'),
  jsonInput: {deck_json},
  tooltip: {{"text": "{{name}}"}},
  customLibraries: null,
  configuration: null,
}});
</script>
</body>
</html>
"""
