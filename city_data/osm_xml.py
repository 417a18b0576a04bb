"""Loader for OpenStreetMap XML files (.osm, .osm.bz2, .osm.gz), through osmnx."""

from __future__ import annotations

import contextlib
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import osmnx as ox
from osmnx._errors import InsufficientResponseError

from city_data.osm_data import OsmData, empty_features
from city_data.osm_tags import FEATURE_TAGS, NODE_TAGS, WAY_TAGS
from evac.errors import SiteError

XML_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".xml", ".xml.bz2", ".xml.gz")


@contextlib.contextmanager
def osmnx_tags() -> Iterator[None]:
    """Let osmnx keep the tags the walk network needs, for the duration of a read."""
    saved = (ox.settings.useful_tags_way, ox.settings.useful_tags_node, ox.settings.log_console)
    ox.settings.useful_tags_way = list(WAY_TAGS)
    ox.settings.useful_tags_node = list(NODE_TAGS)
    ox.settings.log_console = False
    try:
        yield
    finally:
        ox.settings.useful_tags_way, ox.settings.useful_tags_node, ox.settings.log_console = saved


def read_osm_xml(path: Path) -> OsmData:
    """Read an OSM XML file (optionally bz2- or gzip-compressed) into raw OSM data."""
    _check_looks_like_osm(path)
    with osmnx_tags():
        try:
            graph = ox.graph_from_xml(path, bidirectional=True, simplify=False, retain_all=True)
        except InsufficientResponseError as exc:
            raise SiteError(f"{path} holds no OSM nodes or ways") from exc
        except (ET.ParseError, EOFError, OSError, KeyError, ValueError) as exc:
            raise SiteError(f"{path} is not a readable OpenStreetMap XML file ({exc})") from exc
        try:
            features = ox.features_from_xml(path, tags=FEATURE_TAGS)
        except InsufficientResponseError:
            features = empty_features()
    logging.getLogger(__name__).debug("read %s: %d nodes", path, len(graph))
    return OsmData(graph=graph, features=features, source=str(path))


def _check_looks_like_osm(path: Path) -> None:
    """Fail early and clearly on a file that is not OSM XML at all (osmnx's errors are cryptic)."""
    import bz2
    import gzip

    opener = {".bz2": bz2.open, ".gz": gzip.open}.get(path.suffix)
    try:
        if opener is not None:
            with opener(path, "rb") as compressed:
                head = compressed.read(4096)
        else:
            with path.open("rb") as plain:
                head = plain.read(4096)
    except (OSError, EOFError) as exc:
        raise SiteError(f"{path} cannot be read: {exc}") from exc
    if b"<osm" not in head:
        raise SiteError(f"{path} is not an OpenStreetMap XML file (no <osm> element at its start)")
