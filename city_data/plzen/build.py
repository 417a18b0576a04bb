"""Build the bundled, approximate OSM extract of the Doosan Arena area from ../shared/site.

No OSM extract of Plzeň can be downloaded where this project is built, so the bundled map is
composed from public facts: real road centrelines (a public Plzeň road graph), real transit stop
coordinates (PMDP GTFS), and the positions, sizes and relations in ``shared/site/README.md``.
Everything drawn by hand here (rivers, the stadium, park paths, the brewery) is approximate; the
accuracy of each feature group is stated in ``city_data/plzen/README.md``.

Run ``python -m city_data.plzen.build [--shared PATH]`` to regenerate ``plzen.osm`` and
``places.toml``; the output is deterministic.
"""

from __future__ import annotations

import argparse
import csv
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import shapely
from shapely import wkt
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from city_data.frame import LocalFrame

HERE = Path(__file__).parent
DEFAULT_SHARED_SITE = HERE.parents[2] / "shared" / "site"
STADIUM_CENTRE_LONLAT = (13.38525, 49.75003)
# The extract: 1.9 km east-west by 1.5 km north-south around the stadium (local metres).
EXTRACT = box(-900.0, -800.0, 1000.0, 700.0)
# The road graph draws each direction 7.5 m to the right of the centreline.
_LANE_OFFSET_M = 7.5
Coords = list[tuple[float, float]]
PointSequence = Sequence[tuple[float, float]]

# ---------------------------------------------------------------------------------------------
# Hand-drawn geometry (local metres, x east, y north, origin at the centre of the pitch).
# Each river is a centreline and a width, placed so that the road graph's bridges, the banks
# named in shared/site and the stops on each bank come out on the right side.
RADBUZA = [
    (-380, -800),
    (-366, -745),
    (-362, -690),
    (-360, -640),
    (-320, -575),
    (-240, -535),
    (-160, -495),
    (-110, -458),
    (-75, -425),
    (-35, -395),
    (10, -365),
    (60, -320),
    (130, -190),
    (175, -50),
    (195, 80),
    (240, 200),
    (300, 300),
    (370, 390),
    (402, 441),
]
MZE = [
    (-900, 150),
    (-710, 128),
    (-470, 118),
    (-300, 150),
    (-150, 195),
    (-50, 228),
    (100, 272),
    (250, 330),
    (350, 400),
    (402, 441),
]
BEROUNKA = [(402, 441), (500, 520), (650, 610), (800, 700)]
RIVER_WIDTHS_M = {"Radbuza": 26.0, "Mže": 40.0, "Berounka": 50.0}
TYRSOVA_CENTRELINE = [(-601, 30), (-255, -70), (-169, -115), (-68, -259), (-25, -326)]

# Stadium (pitch runs north-south; the main stand is on the west side).
PITCH = box(-40, -60, 40, 60)
STAND_BOXES = {
    "West (main) stand": box(-70, -58, -42, 58),
    "East stand": box(42, -58, 70, 58),
    "North stand": box(-40, 62, 40, 85),
    "South stand": box(-40, -85, 40, -62),
}
CORNER_TOWERS = {
    "North-west tower": box(-70, 60, -42, 85),
    "North-east tower": box(42, 60, 70, 85),
    "South-west corner": box(-70, -85, -42, -60),
    "South-east corner": box(42, -85, 70, -60),
}
CONCOURSE_RING = (76.0, 91.0)  # half-sizes of the concourse footway ring (8 m wide band)
WALL = (81.0, 96.0)  # the outer wall's line; the gap 80-82 / 95-97 is not walkable
FORECOURT_OUTER = box(-100, -115, 100, 115)
FORECOURT_INNER = box(-82, -97, 82, 97)
FORECOURT_RING = (91.0, 106.0)
GATE_WIDTH_M = 2.4
# The meadow on the Mže's north bank, reaching down to Luční street.
LUCNI_MEADOW = Polygon([(85, 305), (200, 348), (200, 420), (85, 420)])
# name -> (x, y) of the gate on the wall line.
GATES = {
    "Gate 1 (west, main stand south)": (-81.0, -30.0),
    "Gate 2 (west, main stand north)": (-81.0, 30.0),
    "Gate 3 (north-west)": (-20.0, 96.0),
    "Gate 4 (north-east)": (20.0, 96.0),
    "Gate 5 (east, north)": (81.0, 30.0),
    "Gate 6 (east, south)": (81.0, -30.0),
    "Gate 7 (south-east, away sector)": (20.0, -96.0),
    "Gate 8 (south-west)": (-20.0, -96.0),
}
# (stand, sector letter, capacity): 11,700 seats in all.
SECTORS = [
    ("West (main) stand", "A", 975),
    ("West (main) stand", "B", 975),
    ("West (main) stand", "C", 975),
    ("West (main) stand", "D", 975),
    ("East stand", "E", 925),
    ("East stand", "F", 925),
    ("East stand", "G", 925),
    ("East stand", "H", 925),
    ("North stand", "J", 1050),
    ("North stand", "K", 1050),
    ("South stand", "L", 1000),
    ("South stand", "M (away)", 1000),
]


@dataclass
class Way:
    """A way under construction: local coordinates and OSM tags."""

    coords: Coords
    tags: dict[str, str]
    from_road_graph: bool = False

    @property
    def line(self) -> LineString:
        return LineString(self.coords)

    @property
    def layered(self) -> bool:
        return "bridge" in self.tags or "tunnel" in self.tags or "layer" in self.tags


@dataclass
class MapBuilder:
    """Collects ways, areas and tagged points in local metres and writes them as OSM XML."""

    frame: LocalFrame
    ways: list[Way] = field(default_factory=list)
    areas: list[tuple[Polygon, dict[str, str]]] = field(default_factory=list)
    points: list[tuple[tuple[float, float], dict[str, str]]] = field(default_factory=list)

    def way(self, coords: Iterable[Sequence[float]], **tags: str) -> Way:
        new = Way([(float(x), float(y)) for x, y in coords], dict(tags))
        self.ways.append(new)
        return new

    def area(self, polygon: BaseGeometry, **tags: str) -> None:
        for part in getattr(polygon, "geoms", [polygon]):
            if part.area > 1.0:
                self.areas.append((shapely.normalize(part), dict(tags)))

    def point(self, x: float, y: float, **tags: str) -> None:
        self.points.append(((x, y), dict(tags)))

    def ground_ways(self) -> list[Way]:
        return [w for w in self.ways if not w.layered]

    def snap(
        self, x: float, y: float, *, max_distance: float = 60.0, roads_only: bool = True
    ) -> Coords:
        """The point on the nearest ground-level way (a road, by default) to (x, y)."""
        candidates = [w for w in self.ground_ways() if w.from_road_graph or not roads_only]
        candidates = [
            w
            for w in candidates
            if "highway" in w.tags
            and w.tags.get("foot") != "no"
            and not w.tags.get("name", "").endswith("platform access")
        ]
        best = min(candidates, key=lambda w: w.line.distance(Point(x, y)))
        if best.line.distance(Point(x, y)) > max_distance:
            raise ValueError(f"no way within {max_distance} m of ({x}, {y})")
        p = nearest_points(best.line, Point(x, y))[0]
        return [(p.x, p.y)]


# ---------------------------------------------------------------------------------------------
# Inputs from shared/site


def read_road_graph(path: Path, frame: LocalFrame) -> list[Way]:
    """Road centrelines from the public road graph, one way per street segment, in local metres.

    The graph draws each direction 7.5 m to the right of the street; shifting each line back and
    averaging the end points per graph node recovers the centreline and the junctions.
    """
    rows = []
    with path.open(encoding="utf-8") as file:
        for row in csv.DictReader(file):
            if row["isvalid"] != "True":
                continue
            line = wkt.loads(row["WKT"])
            x, y = frame.to_local(np.array(line.xy[0]), np.array(line.xy[1]))
            local = LineString(np.column_stack([x, y]))
            centre = local.offset_curve(_LANE_OFFSET_M)
            if not isinstance(centre, LineString) or centre.is_empty:
                centre = local
            rows.append((row["source"], row["target"], int(row["capacity"]), centre))
    ends: dict[str, list[tuple[float, ...]]] = defaultdict(list)
    for source, target, _, centre in rows:
        ends[source].append(centre.coords[0])
        ends[target].append(centre.coords[-1])
    node_xy = {node: tuple(np.mean(points, axis=0)) for node, points in ends.items()}
    seen: set[frozenset[str]] = set()
    pairs = {(s, t) for s, t, _, _ in rows}
    ways = []
    for source, target, capacity, centre in sorted(rows, key=lambda r: (r[0], r[1])):
        key = frozenset((source, target))
        if key in seen or source == target:
            continue
        seen.add(key)
        coords = [node_xy[source], *list(centre.coords)[1:-1], node_xy[target]]
        line = LineString(coords)
        if not EXTRACT.contains(line):
            clipped = line.intersection(EXTRACT)
            if not isinstance(clipped, LineString) or clipped.length < 1.0:
                continue  # outside, or leaving and re-entering the extract: dropped
            coords = list(clipped.coords)
        tags = {"highway": _highway_class(capacity), "source": "PilsenData road graph"}
        if (target, source) not in pairs:
            tags["oneway"] = "yes"
        ways.append(Way([(float(a), float(b)) for a, b in coords], tags, from_road_graph=True))
    return ways


def _highway_class(capacity_veh_per_h: int) -> str:
    if capacity_veh_per_h >= 3000:
        return "trunk"
    if capacity_veh_per_h >= 1600:
        return "secondary"
    if capacity_veh_per_h >= 1000:
        return "tertiary"
    return "residential"


def read_sites_csv(path: Path) -> dict[str, tuple[float, float]]:
    """Name -> (lon, lat) from sites.csv (some names hold unquoted commas, so parse by pattern)."""
    out = {}
    pattern = re.compile(r"^(.*?),(-?\d+\.\d+),(-?\d+\.\d+),")
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        match = pattern.match(line)
        if match:
            out[match.group(1)] = (float(match.group(3)), float(match.group(2)))
    return out


def read_gtfs_stops(path: Path, frame: LocalFrame) -> list[tuple[float, float, dict[str, str]]]:
    """GTFS platforms inside the extract, as local points with OSM platform tags."""
    stops = []
    with path.open(encoding="utf-8-sig") as file:
        for row in csv.DictReader(file):
            if row.get("location_type", "0") not in {"", "0"}:
                continue
            x, y = frame.to_local(float(row["stop_lon"]), float(row["stop_lat"]))
            if not EXTRACT.contains(Point(x, y)):
                continue
            tags = {
                "public_transport": "platform",
                "name": row["stop_name"],
                "ref": row["stop_code"],
                "source": "PMDP GTFS",
            }
            stops.append((x, y, tags))
    return stops


# ---------------------------------------------------------------------------------------------
# Composition


def river_polygon(centreline: PointSequence, width: float) -> BaseGeometry:
    polygon = LineString(centreline).buffer(width / 2.0, cap_style="flat", quad_segs=8)
    return polygon.intersection(EXTRACT.buffer(50))


def compose(shared_site: Path) -> MapBuilder:
    """Compose the whole extract."""
    frame = LocalFrame.centred_on(*STADIUM_CENTRE_LONLAT)
    builder = MapBuilder(frame)
    roads = read_road_graph(shared_site / "data" / "roadgraph_edges_stadium_area.csv", frame)
    builder.ways.extend(roads)

    rivers = {
        "Radbuza": river_polygon(RADBUZA, RIVER_WIDTHS_M["Radbuza"]),
        "Mže": river_polygon(MZE, RIVER_WIDTHS_M["Mže"]),
        "Berounka": river_polygon(BEROUNKA, RIVER_WIDTHS_M["Berounka"]),
    }
    water = shapely.union_all(list(rivers.values()))
    for name, polygon in rivers.items():
        builder.area(
            polygon.difference(shapely.union_all([p for n, p in rivers.items() if n < name])),
            natural="water",
            water="river",
            name=name,
        )
    for name, line in (("Radbuza", RADBUZA), ("Mže", MZE), ("Berounka", BEROUNKA)):
        builder.way(line, waterway="river", name=name)

    _tag_roads(roads, water)
    _add_stadium(builder)
    _add_park(builder, water)
    _add_tyrsova_crossings(builder)
    _add_bridges_and_riverside(builder)
    _add_brewery(builder)
    _add_station(builder)
    _add_centre(builder, shared_site)
    _add_north_bank(builder)
    for x, y, tags in read_gtfs_stops(shared_site / "data" / "pmdp_gtfs_stops.txt", frame):
        builder.point(x, y, **tags)
        # GTFS puts a platform at the kerb; a short access path joins it to the street network.
        ((sx, sy),) = builder.snap(x, y, max_distance=80.0, roads_only=False)
        if math.dist((x, y), (sx, sy)) > 0.5:
            builder.way(
                [(sx, sy), (x, y)],
                highway="footway",
                width="3",
                name=f"{tags['name']} platform access",
            )
    return builder


def _tag_roads(roads: list[Way], water: BaseGeometry) -> None:
    """Name the roads shared/site names; bridges where roads cross water; Tyršova's embankment."""
    tyrsova = LineString([*TYRSOVA_CENTRELINE, (48, -438)])
    named_bridges = {
        "Wilsonův most": (-349, -737),
        "Pattonův most": (-746, 123),
        "Rooseveltův most": (-455, 118),
    }
    for way in roads:
        line = way.line
        if line.intersects(water):
            way.tags.update(bridge="yes", layer="1")
            for name, (bx, by) in named_bridges.items():
                if line.distance(Point(bx, by)) < 25:
                    way.tags["name"] = name
        hausdorff = line.hausdorff_distance(tyrsova.interpolate(tyrsova.project(line.centroid)))
        near_tyrsova = all(tyrsova.distance(Point(c)) < 20 for c in way.coords)
        if way.tags["highway"] == "trunk" and near_tyrsova and hausdorff < 400:
            # The 1980 embankment: no pedestrians on the carriageway; sidewalks are separate ways.
            way.tags.update(name="Tyršova", ref="26", foot="no", sidewalk="separate")
    anglicke = Point(-212, -503)
    nearest = min(
        (w for w in roads if "bridge" not in w.tags), key=lambda w: w.line.distance(anglicke)
    )
    nearest.tags.setdefault("name", "Anglické nábřeží")


def _add_stadium(builder: MapBuilder) -> None:
    builder.area(
        box(-100, -115, 100, 115).difference(FORECOURT_OUTER.buffer(-1)),
        leisure="stadium",
        name="Doosan Arena (Štruncovy sady)",
    )
    builder.area(box(-82, -97, 82, 97), leisure="stadium", name="Doosan Arena")
    builder.area(PITCH, leisure="pitch", sport="soccer", name="Doosan Arena pitch")
    for name, stand_box in STAND_BOXES.items():
        builder.area(stand_box, leisure="bleachers", name=name)
    for name, tower in CORNER_TOWERS.items():
        builder.area(tower, building="yes", name=name)
    cx, cy = CONCOURSE_RING
    builder.way(_ring(cx, cy), highway="footway", width="8", name="Stadium concourse")
    fx, fy = FORECOURT_RING
    builder.area(
        FORECOURT_OUTER.difference(FORECOURT_INNER),
        highway="pedestrian",
        area="yes",
        name="Stadium forecourt",
    )
    builder.way(_ring(fx, fy), highway="footway", width="3", name="Stadium forecourt")
    # Gangways along each stand and one vomitory per sector through the stand's back wall.
    for stand, sector_boxes in sector_footprints().items():
        bounds = STAND_BOXES[stand].bounds
        vertical = stand.startswith(("West", "East"))
        if vertical:
            x_mid = (bounds[0] + bounds[2]) / 2
            builder.way(
                [(x_mid, bounds[1] + 2), (x_mid, bounds[3] - 2)],
                highway="footway",
                width="2",
                name=f"{stand} gangway",
            )
            out_x = math.copysign(cx, x_mid)
            for _, footprint in sector_boxes:
                y = footprint.centroid.y
                builder.way(
                    [(x_mid, y), (out_x, y)],
                    highway="footway",
                    width="2.4",
                    name=f"{stand} vomitory",
                )
        else:
            y_mid = (bounds[1] + bounds[3]) / 2
            builder.way(
                [(bounds[0] + 2, y_mid), (bounds[2] - 2, y_mid)],
                highway="footway",
                width="2",
                name=f"{stand} gangway",
            )
            out_y = math.copysign(cy, y_mid)
            for _, footprint in sector_boxes:
                x = footprint.centroid.x
                builder.way(
                    [(x, y_mid), (x, out_y)],
                    highway="footway",
                    width="2.4",
                    name=f"{stand} vomitory",
                )
    for name, (gx, gy) in GATES.items():
        if abs(gx) == WALL[0]:
            inner, outer = (math.copysign(cx, gx), gy), (math.copysign(fx, gx), gy)
        else:
            inner, outer = (gx, math.copysign(cy, gy)), (gx, math.copysign(fy, gy))
        builder.way([inner, (gx, gy), outer], highway="footway", width=f"{GATE_WIDTH_M}", name=name)
        builder.point(gx, gy, barrier="gate", name=name, width=f"{GATE_WIDTH_M}")


def sector_footprints() -> dict[str, list[tuple[str, Polygon]]]:
    """Each stand cut into its sectors, in the order of SECTORS (south to north, west to east)."""
    out: dict[str, list[tuple[str, Polygon]]] = defaultdict(list)
    for stand in STAND_BOXES:
        letters = [s for s in SECTORS if s[0] == stand]
        x0, y0, x1, y1 = STAND_BOXES[stand].bounds
        for index, (_, letter, _) in enumerate(letters):
            if stand.startswith(("West", "East")):
                step = (y1 - y0) / len(letters)
                piece = box(x0, y0 + index * step, x1, y0 + (index + 1) * step)
            else:
                step = (x1 - x0) / len(letters)
                piece = box(x0 + index * step, y0, x0 + (index + 1) * step, y1)
            out[stand].append((letter, piece))
    return out


def _ring(half_x: float, half_y: float) -> Coords:
    return [
        (-half_x, -half_y),
        (half_x, -half_y),
        (half_x, half_y),
        (-half_x, half_y),
        (-half_x, -half_y),
    ]


def _tyrsova_corridor() -> BaseGeometry:
    return LineString([*TYRSOVA_CENTRELINE, (48, -438)]).buffer(16, cap_style="flat")


def _add_park(builder: MapBuilder, water: BaseGeometry) -> None:
    """Štruncovy sady: between Tyršova (SW), Rychtářka (W), the Radbuza (E) and the Mže (N)."""
    outline = Polygon(
        [
            (-195, -70),
            (-190, 150),
            (-60, 215),
            (100, 260),
            (250, 320),
            (360, 430),
            (300, 250),
            (200, 40),
            (150, -170),
            (60, -300),
            (-30, -320),
            (-75, -255),
        ]
    )
    park = outline.difference(water.buffer(4)).difference(_tyrsova_corridor().buffer(2))
    park = park.difference(FORECOURT_OUTER)
    # Keep the bank the stadium stands on (the outline overshoots into the rivers on purpose).
    pieces = [p for p in getattr(park, "geoms", [park]) if p.intersects(box(-150, -150, 150, 150))]
    builder.area(MultiPolygon(pieces), leisure="park", name="Štruncovy sady")
    fx, fy = FORECOURT_RING
    paths: dict[str, list[tuple[float, float]]] = {
        "west": [(-fx, 60), (-150, 75), (-198, 78)],
        "west-south": [(-fx, -45), (-150, -55), (-178, -62)],
        "south-west": [(-60, -fy), (-80, -150), (-103, -175)],
        "south": [(0, -fy), (20, -200), (40, -250)],
        "south-east": [(60, -fy), (100, -150)],
        "east": [(fx, 0), (140, -50)],
        "north": [(0, fy), (30, 170), (55, 212)],
        "north-east": [(fx, 80), (150, 130), (190, 180)],
    }
    for name, coords in paths.items():
        builder.way(coords, highway="footway", width="4", name=f"Štruncovy sady ({name} path)")
    # The riverside path on the Radbuza's left bank, from the confluence tip to Tyršova.
    builder.way(
        [(240, 270), (190, 180), (155, 60), (140, -50), (100, -150), (40, -250), (5, -290)],
        highway="footway",
        width="4",
        name="Radbuza left-bank path",
    )
    builder.way([(-150, -55), (-150, 75)], highway="footway", width="3", name="Rychtářka path")


def _add_tyrsova_crossings(builder: MapBuilder) -> None:
    """Sidewalks on both sides of the embankment, an underpass, a signalled crossing."""
    centre = LineString([*TYRSOVA_CENTRELINE[1:], (-5, -357)])
    for side, distance in (("park side", 13.0), ("town side", -13.0)):
        sidewalk = centre.offset_curve(distance)
        builder.way(
            list(sidewalk.coords),
            highway="footway",
            footway="sidewalk",
            width="3",
            name=f"Tyršova sidewalk ({side})",
        )
    # The underpass below the embankment between the park and Mlýnská strouha park.
    builder.way(
        [(-103, -175), (-119, -187), (-135, -199)],
        highway="footway",
        tunnel="yes",
        layer="-1",
        width="5",
        name="Tyršova underpass",
    )
    builder.way([(-103, -175), (-95, -168)], highway="footway", width="5", name="Tyršova underpass")
    # It opens into Mlýnská strouha park at the park's corner: run it on into the park, so that
    # the opening is as wide as the passage.
    builder.way(
        [(-135, -199), (-150, -212), (-162, -222)],
        highway="footway",
        width="5",
        name="Tyršova underpass",
    )
    # An at-grade crossing with traffic lights at Na Rychtářce.
    builder.way(
        [(-214, -71), (-226, -91), (-232, -102)],
        highway="footway",
        footway="crossing",
        crossing="traffic_signals",
        width="4",
        name="Tyršova crossing (Na Rychtářce)",
    )


def _add_bridges_and_riverside(builder: MapBuilder) -> None:
    # Pivovarská lávka: footbridge over the Radbuza from the park to the brewery side.
    builder.way(
        [(140, -50), (165, -35)], highway="footway", width="4", name="Pivovarská lávka access"
    )
    builder.way(
        [(165, -35), (222, -28)],
        highway="footway",
        bridge="yes",
        layer="1",
        width="3.5",
        name="Pivovarská lávka",
        note="one-way toward the stadium on match days",
    )
    # The path along the brewery's west fence to U Prazdroje.
    builder.way(
        [(222, -28), (205, -120), (168, -200), (125, -300), (110, -360)],
        highway="footway",
        width="3",
        name="Pivovarská (brewery riverside path)",
    )
    end = builder.snap(110, -420)
    builder.way(
        [(110, -360), *end],
        highway="footway",
        width="3",
        name="Pivovarská (brewery riverside path)",
    )
    # Footbridge over the Mže to Luční street: 81 m with its ramps, 3 m between kerbs.
    builder.way([(55, 212), (57, 240)], highway="footway", width="3", name="Lávka do Luční (ramp)")
    builder.way(
        [(57, 240), (66, 292)],
        highway="footway",
        bridge="yes",
        layer="1",
        width="3",
        name="Lávka do Luční",
    )
    builder.way([(66, 292), (69, 300)], highway="footway", width="3", name="Lávka do Luční (ramp)")
    # Under the Tyršova bridge along the left bank to Anglické nábřeží.
    builder.way(
        [(5, -290), (-30, -318), (-60, -340)],
        highway="footway",
        layer="-1",
        covered="yes",
        width="3",
        name="Radbuza left-bank path (under Tyršova)",
    )
    end = builder.snap(-120, -410)
    builder.way(
        [(-60, -340), (-95, -385), *end],
        highway="footway",
        width="3",
        name="Radbuza left-bank path",
    )


def _add_brewery(builder: MapBuilder) -> None:
    complex_outline = Polygon(
        [
            (235, -20),
            (250, 160),
            (330, 300),
            (420, 330),
            (700, 300),
            (900, 200),
            (950, -150),
            (700, -250),
            (400, -300),
            (200, -300),
            (180, -200),
        ]
    )
    river = river_polygon(RADBUZA, RIVER_WIDTHS_M["Radbuza"]).buffer(25)
    outline = complex_outline.difference(river).difference(river_polygon(BEROUNKA, 50).buffer(25))
    builder.area(
        outline, landuse="industrial", name="Plzeňský Prazdroj (brewery)", access="private"
    )
    blocks = {
        "Brewhouse": box(300, -200, 420, -120),
        "Ammonia engine room (assumed position)": box(385, -160, 425, -135),
        "Fermentation cellars": box(460, -230, 620, -140),
        "Lagering halls": box(330, -60, 480, 60),
        "Packaging hall": box(520, -40, 760, 120),
        "Warehouse": box(620, 150, 780, 230),
        "Water tower": Point(290, 40).buffer(12),
    }
    for name, shape in blocks.items():
        builder.area(shape.intersection(outline), building="industrial", name=name)
    builder.area(
        box(285, -312, 345, -295), building="gatehouse", name="Jubilejní brána (brewery gate)"
    )


def _add_station(builder: MapBuilder) -> None:
    forecourt = Polygon([(68, -548), (150, -560), (215, -590), (215, -608), (68, -608)])
    builder.area(forecourt, highway="pedestrian", area="yes", name="Hlavní nádraží forecourt")
    builder.area(box(225, -640, 330, -585), building="train_station", name="Plzeň hlavní nádraží")
    start = builder.snap(60, -575)
    end = builder.snap(200, -615)
    builder.way(
        [*start, (140, -575), (205, -598), *end],
        highway="footway",
        width="5",
        name="Hlavní nádraží forecourt",
    )
    builder.way([(205, -598), (225, -610)], highway="footway", width="5", name="Station entrance")


def _add_centre(builder: MapBuilder, shared_site: Path) -> None:
    sites = read_sites_csv(shared_site / "data" / "sites.csv")
    lon, lat = sites["Náměstí Republiky / St Bartholomew cathedral"]
    x, y = builder.frame.to_local(lon, lat)
    square = box(x - 69.5, y - 96.5, x + 69.5, y + 96.5)
    builder.area(square, place="square", highway="pedestrian", area="yes", name="náměstí Republiky")
    builder.area(
        box(x - 12, y - 35, x + 12, y + 35), building="cathedral", name="Katedrála sv. Bartoloměje"
    )
    corners = (
        [(x - 69.5, y - 96.5), (x + 69.5, y + 96.5)],
        [(x - 69.5, y + 96.5), (x + 69.5, y - 96.5)],
    )
    for a, b in corners:
        builder.way(
            [
                *builder.snap(*a, roads_only=True),
                a,
                (x, y + 50 if a[1] > y or b[1] > y else y - 50),
                b,
                *builder.snap(*b, roads_only=True),
            ],
            highway="footway",
            width="6",
            name="náměstí Republiky",
        )
    # Mlýnská strouha park, across the embankment from Štruncovy sady.
    park = Polygon(
        [(-150, -212), (-215, -165), (-300, -200), (-300, -330), (-200, -360), (-110, -300)]
    )
    builder.area(park.difference(_tyrsova_corridor()), leisure="park", name="Mlýnská strouha park")
    builder.way(
        [(-150, -212), (-245, -252), *builder.snap(-300, -280)],
        highway="footway",
        width="4",
        name="Mlýnská strouha park path",
    )


def _add_north_bank(builder: MapBuilder) -> None:
    builder.way([(-60, 268), (69, 300), (200, 352)], highway="residential", name="Luční")
    builder.way([(69, 300), (69, 380), *builder.snap(69, 450)], highway="residential", name="Luční")
    builder.area(LUCNI_MEADOW, leisure="park", name="Luční meadow")
    start = builder.snap(140, 330, roads_only=False)
    builder.way([*start, (145, 392)], highway="footway", width="3", name="Luční meadow path")


# ---------------------------------------------------------------------------------------------
# Noding and output


def node_ways(ways: list[Way], *, snap_tolerance: float = 1.0) -> None:
    """Insert shared vertices where ground-level ways cross, and where an end point touches a way.

    Crossings are joined between ways of the same level only (bridges, tunnels and the road
    graph's own crossings are left alone: the road graph carries its junctions in its nodes).
    """
    lines = [w.line for w in ways]
    tree = shapely.STRtree(lines)
    inserts: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for i, way in enumerate(ways):
        if "waterway" in way.tags:
            continue
        for j in tree.query(lines[i], predicate="intersects"):
            j = int(j)
            other = ways[j]
            if j <= i or "waterway" in other.tags or way.layered or other.layered:
                continue
            if way.from_road_graph and other.from_road_graph:
                continue
            crossing = lines[i].intersection(lines[j])
            for point in shapely.get_parts(crossing):
                if isinstance(point, Point):
                    inserts[i].append((point.x, point.y))
                    inserts[j].append((point.x, point.y))
        for end in (way.coords[0], way.coords[-1]):
            for j in tree.query(Point(end).buffer(snap_tolerance)):
                j = int(j)
                if j == i or "waterway" in ways[j].tags:
                    continue
                if lines[j].distance(Point(end)) <= snap_tolerance:
                    p = nearest_points(lines[j], Point(end))[0]
                    inserts[j].append((p.x, p.y))
    for index, points in inserts.items():
        ways[index].coords = _insert_vertices(ways[index].coords, points)


def _insert_vertices(coords: Coords, points: list[tuple[float, float]]) -> Coords:
    line = LineString(coords)
    # Measures of the way's own vertices by cumulative length: a closed ring's last vertex is at
    # the ring's full length, where projecting it would put it back at zero.
    measures = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(np.array(coords), axis=0).T))])
    merged = list(zip(measures.tolist(), coords, strict=True))
    for p in points:
        merged.append((line.project(Point(p)), p))
    merged.sort(key=lambda item: item[0])
    out: Coords = []
    for _, c in merged:
        if not out or math.dist(out[-1], c) > 0.05:
            out.append(c)
    return out


def write_osm(builder: MapBuilder, path: Path) -> None:
    """Write the composed map as OSM XML (API 0.6), nodes shared by position (1 cm)."""
    frame = builder.frame
    node_ids: dict[tuple[int, int], int] = {}
    node_tags: dict[int, dict[str, str]] = {}

    def node_for(x: float, y: float) -> int:
        key = (round(x * 100), round(y * 100))
        if key not in node_ids:
            node_ids[key] = len(node_ids) + 1
        return node_ids[key]

    # (node ids, tags, multipolygon members as (row index, role)); relations have no node ids.
    way_rows: list[tuple[list[int], dict[str, str], list[tuple[int, str]]]] = []
    for way in builder.ways:
        ids = [node_for(*c) for c in way.coords]
        ids = [n for k, n in enumerate(ids) if k == 0 or n != ids[k - 1]]
        if len(ids) >= 2:
            way_rows.append((ids, way.tags, []))
    for polygon, tags in builder.areas:
        ring = list(polygon.exterior.coords)
        ids = [node_for(*c) for c in ring]
        if polygon.interiors:
            inner = [[node_for(*c) for c in interior.coords] for interior in polygon.interiors]
            way_rows.append((ids, {}, []))
            members = [(len(way_rows) - 1, "outer")]
            for ring_ids in inner:
                way_rows.append((ring_ids, {}, []))
                members.append((len(way_rows) - 1, "inner"))
            way_rows.append(([], {"type": "multipolygon", **tags}, members))
        else:
            way_rows.append((ids, tags, []))
    for (x, y), tags in builder.points:
        node_tags[node_for(x, y)] = tags

    keys = sorted(node_ids, key=node_ids.__getitem__)
    xs = np.array([k[0] / 100 for k in keys])
    ys = np.array([k[1] / 100 for k in keys])
    lons, lats = frame.to_wgs84(xs, ys)
    west, south = frame.to_wgs84(*EXTRACT.bounds[:2])
    east, north = frame.to_wgs84(*EXTRACT.bounds[2:])
    lines = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<osm version="0.6" generator="city_data.plzen.build (approximate map from shared/site)">',
        f'  <bounds minlat="{south:.7f}" minlon="{west:.7f}" '
        f'maxlat="{north:.7f}" maxlon="{east:.7f}"/>',
    ]
    for index, key in enumerate(keys):
        node_id = node_ids[key]
        point_tags = node_tags.get(node_id)
        head = f'  <node id="{node_id}" version="1" lat="{lats[index]:.7f}" lon="{lons[index]:.7f}"'
        if point_tags:
            lines.append(head + ">")
            lines.extend(_tag_lines(point_tags))
            lines.append("  </node>")
        else:
            lines.append(head + "/>")
    way_base = 1_000_000
    relation_id = 0
    for index, (ids, tags, members) in enumerate(way_rows):
        if members:
            relation_id += 1
            lines.append(f'  <relation id="{relation_id}" version="1">')
            for member_index, role in members:
                lines.append(
                    f'    <member type="way" ref="{way_base + member_index}" role="{role}"/>'
                )
            lines.extend(_tag_lines(tags))
            lines.append("  </relation>")
            continue
        lines.append(f'  <way id="{way_base + index}" version="1">')
        lines.extend(f'    <nd ref="{n}"/>' for n in ids)
        lines.extend(_tag_lines(tags))
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _tag_lines(tags: dict[str, str]) -> list[str]:
    return [f"    <tag k={quoteattr(k)} v={quoteattr(str(v))}/>" for k, v in sorted(tags.items())]


def write_places(builder: MapBuilder, path: Path, shared_site: Path) -> None:
    """The places file: sectors, gates, assembly areas, the hazard source and the sensors."""
    frame = builder.frame
    out = [
        "# Named places of the bundled Plzeň site (generated by city_data.plzen.build).",
        "# WGS84; outlines are [lon, lat] rings. Positions are approximate: see README.md.",
        "",
    ]

    def lonlat(x: float, y: float) -> str:
        lon, lat = frame.to_wgs84(x, y)
        return f"lon = {lon:.7f}\nlat = {lat:.7f}"

    def outline(polygon: Polygon) -> str:
        ring = list(polygon.exterior.coords)[:-1]
        pairs = [frame.to_wgs84(x, y) for x, y in ring]
        return "outline = [" + ", ".join(f"[{lo:.7f}, {la:.7f}]" for lo, la in pairs) + "]"

    footprints = sector_footprints()
    for stand, letter, capacity in SECTORS:
        polygon = dict(footprints[stand])[letter]
        c = polygon.centroid
        out += [
            "[[sector]]",
            f'name = "Sector {letter}"',
            f'stand = "{stand}"',
            f"capacity = {capacity}",
            lonlat(c.x, c.y),
            outline(polygon),
            "",
        ]
    for name, (gx, gy) in GATES.items():
        out += ["[[gate]]", f'name = "{name}"', f"width = {GATE_WIDTH_M}", lonlat(gx, gy), ""]
    sites = read_sites_csv(shared_site / "data" / "sites.csv")
    sq_lon, sq_lat = sites["Náměstí Republiky / St Bartholomew cathedral"]
    sx, sy = frame.to_local(sq_lon, sq_lat)
    square = box(sx - 69.5, sy - 96.5, sx + 69.5, sy + 96.5).difference(
        box(sx - 12, sy - 35, sx + 12, sy + 35)
    )
    assembly: dict[str, BaseGeometry] = {
        "náměstí Republiky": square,
        "Hlavní nádraží forecourt": Polygon(
            [(68, -548), (150, -560), (215, -590), (215, -608), (68, -608)]
        ),
        "Luční meadow (north bank of the Mže)": LUCNI_MEADOW,
        "Mlýnská strouha park": Polygon(
            [(-150, -212), (-215, -165), (-300, -200), (-300, -330), (-200, -360), (-110, -300)]
        ).difference(_tyrsova_corridor()),
    }
    for name, shape in assembly.items():
        largest: Polygon = max(getattr(shape, "geoms", [shape]), key=lambda p: p.area)
        p = largest.representative_point()
        # Two square metres per person: room to stand and to treat the injured.
        out += [
            "[[assembly_area]]",
            f'name = "{name}"',
            f"capacity = {int(largest.area / 2)}",
            lonlat(p.x, p.y),
            outline(Polygon(largest.exterior)),
            "",
        ]
    out += [
        "[[hazard_source]]",
        'name = "Brewery ammonia engine room (assumed)"',
        'substance = "ammonia"',
        "inventory_kg = 10000.0",
        'note = "position and inventory assumed: the real engine room is not public"',
        lonlat(405, -148),
        "",
    ]
    sensors = [
        ("CAM Pivovarská lávka", "camera_counter", "Pivovarská lávka", (195, -31)),
        ("CAM Lávka do Luční", "camera_counter", "Lávka do Luční", (61, 266)),
        ("CAM Tyršova underpass", "camera_counter", "Tyršova underpass", (-100, -172)),
        ("CAM Gate 3", "camera_counter", "Gate 3 (north-west)", (-20, 100)),
        ("CAM Gate 7", "camera_counter", "Gate 7 (south-east, away sector)", (20, -100)),
        ("CAM Hlavní nádraží forecourt", "camera_counter", "Hlavní nádraží forecourt", (120, -580)),
        ("CAM Stadium forecourt west", "camera_counter", "Stadium forecourt", (-95, 0)),
        ("ACU Štruncovy sady", "acoustic_detector", "Štruncovy sady", (0, -130)),
        ("ACU Rychtářka", "acoustic_detector", "Stadium forecourt", (-150, 20)),
        ("NH3 brewery fence", "gas_detector", "Pivovarská (brewery riverside path)", (215, -60)),
    ]
    for name, sensor_type, observes, (x, y) in sensors:
        out += [
            "[[sensor]]",
            f'name = "{name}"',
            f'sensor_type = "{sensor_type}"',
            f'observes = "{observes}"',
            lonlat(x, y),
            "",
        ]
    path.write_text("\n".join(out), encoding="utf-8")


def build(shared_site: Path, out_dir: Path) -> None:
    """Compose the map and write plzen.osm and places.toml into out_dir."""
    builder = compose(shared_site)
    node_ways(builder.ways)
    write_osm(builder, out_dir / "plzen.osm")
    write_places(builder, out_dir / "places.toml", shared_site)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED_SITE, help="shared/site folder"
    )
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    args = parser.parse_args(argv)
    build(args.shared, args.out)
    print(f"wrote {args.out / 'plzen.osm'} and {args.out / 'places.toml'}")


if __name__ == "__main__":
    main()
