"""A map of a site: walkable area, buildings, water, the walk network and the named places."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath
from shapely.geometry import MultiPolygon, Polygon

from city_data.places import PlaceKind
from city_data.site import Site

# One colour and marker per kind of place, readable on the grey and blue background.
PLACE_STYLE: dict[PlaceKind, tuple[str, str]] = {
    PlaceKind.SECTOR: ("#7b3294", "s"),
    PlaceKind.GATE: ("#d7191c", "D"),
    PlaceKind.ASSEMBLY_AREA: ("#1a9641", "P"),
    PlaceKind.TRANSIT_STOP: ("#2b83ba", "o"),
    PlaceKind.HAZARD_SOURCE: ("#ff7f00", "*"),
    PlaceKind.SENSOR: ("#404040", "^"),
}
# Kinds whose names are written on the map (sectors and stops would crowd it).
_LABELLED = {PlaceKind.GATE, PlaceKind.ASSEMBLY_AREA, PlaceKind.HAZARD_SOURCE}


def draw_site(site: Site, *, ax: Axes | None = None, labels: bool = True) -> Figure:
    """Draw the site in its local frame (metres) and return the figure."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(16, 13))
    else:
        fig = ax.get_figure()  # type: ignore[assignment]
    for _, row in site.context_areas.iterrows():
        _fill(ax, row.geometry, facecolor="#f4f1ea", edgecolor="#c9c3b0", lw=0.5, zorder=0)
    # Water first: bridges are the only walkable area above it and must stay visible.
    _fill(ax, site.water, facecolor="#9ecae1", edgecolor="#6baed6", lw=0.4, zorder=1)
    _fill(ax, site.walkable_area, facecolor="#e8e4da", edgecolor="#b0a990", lw=0.3, zorder=2)
    _fill(ax, site.buildings, facecolor="#8c8c8c", edgecolor="#525252", lw=0.3, zorder=3)
    for _, _, data in site.walk_graph.edges(data=True):
        xs, ys = data["geometry"].xy
        style = "--" if data.get("layered") else "-"
        ax.plot(xs, ys, style, color="#636363", lw=0.6, zorder=4)
    for place in site.places:
        colour, marker = PLACE_STYLE[place.kind]
        if place.footprint is not None:
            _fill(ax, place.footprint, facecolor="none", edgecolor=colour, lw=0.8, zorder=5)
        ax.plot(place.x, place.y, marker, color=colour, ms=6 if marker != "*" else 12, zorder=6)
        if labels and place.kind in _LABELLED:
            # Gates carry their description in brackets; the number alone keeps the stadium legible.
            label = place.name.split(" (")[0] if place.kind is PlaceKind.GATE else place.name
            ax.annotate(
                label,
                (place.x, place.y),
                xytext=(4, 4),
                textcoords="offset points",
                fontsize=7,
                color=colour,
                zorder=7,
            )
    handles = [
        Line2D([], [], marker=m, color=c, ls="", label=k.value.replace("_", " "))
        for k, (c, m) in PLACE_STYLE.items()
    ]
    ax.legend(handles=handles, loc="lower right", fontsize=8, framealpha=0.9)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m, east of the local origin)")
    ax.set_ylabel("y (m, north of the local origin)")
    title = (
        f"{site.name}: walkable area {site.walkable_area.area / 1e4:.1f} ha, "
        f"{site.walk_graph.number_of_nodes()} network nodes"
    )
    if site.approximate:
        title += " (APPROXIMATE MAP, built from public facts; not a survey)"
    ax.set_title(title, fontsize=10)
    return fig


def save_site_map(site: Site, out: Path, *, dpi: int = 110) -> Path:
    """Draw the site and write it as an image (the format follows the file name)."""
    fig = draw_site(site)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return out


def _fill(ax: Axes, geometry: Polygon | MultiPolygon, **style: object) -> None:
    polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    for polygon in polygons:
        if polygon.is_empty:
            continue
        vertices, codes = [], []
        for ring in (polygon.exterior, *polygon.interiors):
            coords = list(ring.coords)
            vertices.extend(coords)
            codes.extend(
                [MplPath.MOVETO] + [MplPath.LINETO] * (len(coords) - 2) + [MplPath.CLOSEPOLY]
            )
        ax.add_patch(PathPatch(MplPath(vertices, codes), **style))
