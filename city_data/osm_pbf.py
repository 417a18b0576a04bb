"""Loader for OpenStreetMap PBF files (.osm.pbf), through pyrosm."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import pandas as pd
import pyrosm

from city_data.osm_data import OsmData, empty_features
from city_data.osm_tags import FEATURE_TAGS, WAY_TAGS
from evac.errors import SiteError


def read_osm_pbf(path: Path) -> OsmData:
    """Read an .osm.pbf file into raw OSM data (every highway way, plus the area features)."""
    with warnings.catch_warnings():
        # pyrosm warns for every tag it finds nothing for; an empty answer is handled below.
        warnings.filterwarnings(
            "ignore", message="Could not find any OSM data", category=UserWarning
        )
        try:
            osm = pyrosm.OSM(str(path))
            nodes, edges = osm.get_network(
                network_type="all", nodes=True, extra_attributes=list(WAY_TAGS)
            )
        except (OSError, ValueError, RuntimeError, KeyError) as exc:
            raise SiteError(f"{path} is not a readable OpenStreetMap PBF file ({exc})") from exc
        if edges is None or len(edges) == 0:
            raise SiteError(f"{path} holds no ways with a highway tag")
        graph = _graph_from_edges(nodes, edges)
        features = _read_features(osm)
    return OsmData(graph=graph, features=features, source=str(path))


def _graph_from_edges(nodes: gpd.GeoDataFrame, edges: gpd.GeoDataFrame) -> nx.MultiDiGraph[Any]:
    """An osmnx-style, unsimplified, both-ways MultiDiGraph from pyrosm's node and edge tables."""
    graph: nx.MultiDiGraph[Any] = nx.MultiDiGraph(crs="EPSG:4326")
    for node_id, lon, lat in zip(nodes["id"], nodes["lon"], nodes["lat"], strict=True):
        graph.add_node(int(node_id), x=float(lon), y=float(lat))
    columns = [c for c in WAY_TAGS if c in edges.columns]
    for row in edges[["u", "v", "id", "geometry", *columns]].itertuples(index=False):
        attrs: dict[str, Any] = {"osmid": int(row.id), "geometry": row.geometry}
        for column in columns:
            value = getattr(row, column.replace(":", "_"), None)
            if value is not None and not (isinstance(value, float) and value != value):
                attrs[column] = value
        u, v = int(row.u), int(row.v)
        graph.add_edge(u, v, **attrs)
        graph.add_edge(v, u, **attrs)
    return graph


def _read_features(osm: pyrosm.OSM) -> gpd.GeoDataFrame:
    criteria = {key: (True if value is True else value) for key, value in FEATURE_TAGS.items()}
    frames = []
    for key, value in criteria.items():
        custom_filter = {key: value}
        data = osm.get_data_by_custom_criteria(
            custom_filter=custom_filter,
            filter_type="keep",
            keep_nodes=True,
            keep_ways=True,
            keep_relations=True,
        )
        if data is not None and len(data) > 0:
            frames.append(_with_tag_columns(data))
    if not frames:
        return empty_features()
    merged = pd.concat(frames, ignore_index=True)
    merged = merged.drop_duplicates(subset=["osm_type", "id"]).reset_index(drop=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326")


def _with_tag_columns(data: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Lift the tags pyrosm leaves in its JSON `tags` column into columns of their own."""
    keep = ["id", "osm_type", "geometry", *[k for k in FEATURE_TAGS if k in data.columns]]
    for extra in ("name", "ref", "bus", "tram", "trolleybus", "area", "layer"):
        if extra in data.columns and extra not in keep:
            keep.append(extra)
    out = data[keep].copy()
    if "tags" in data.columns:
        for index, raw in data["tags"].items():
            if not isinstance(raw, str | dict):
                continue
            tags = json.loads(raw) if isinstance(raw, str) else raw
            for key, value in tags.items():
                if key in FEATURE_TAGS or key in {"name", "ref", "bus", "tram", "trolleybus"}:
                    if key not in out.columns:
                        out[key] = None
                    if pd.isna(out.at[index, key]):
                        out.at[index, key] = value
    return out
