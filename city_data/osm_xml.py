"""Loader for OpenStreetMap XML files (.osm, .osm.bz2, .osm.gz), through osmnx."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import logging
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import IO

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
    """Read an OSM XML file (optionally bz2- or gzip-compressed) into raw OSM data.

    Extracts cut out of a larger map hold ways whose nodes lie outside the cut; osmnx refuses
    those, so such files are first read into a completed copy (see `complete_extract`).
    """
    _check_looks_like_osm(path)
    with tempfile.TemporaryDirectory(prefix="evac-osm-") as scratch:
        completed = complete_extract(path, Path(scratch) / "completed.osm")
        return _read_with_osmnx(completed or path, source=str(path))


def _read_with_osmnx(path: Path, *, source: str) -> OsmData:
    with osmnx_tags():
        try:
            graph = ox.graph_from_xml(path, bidirectional=True, simplify=False, retain_all=True)
        except InsufficientResponseError as exc:
            raise SiteError(f"{path} holds no OSM nodes or ways") from exc
        except (ET.ParseError, EOFError, OSError, KeyError, ValueError) as exc:
            raise SiteError(f"{path} is not a readable OpenStreetMap XML file ({exc})") from exc
        try:
            features = ox.features_from_xml(path, tags=dict(FEATURE_TAGS))
        except InsufficientResponseError:
            features = empty_features()
    logging.getLogger(__name__).debug("read %s: %d nodes", source, len(graph))
    return OsmData(graph=graph, features=features, source=source)


def _open_text(path: Path) -> IO[bytes]:
    """The file's bytes, decompressed when its name ends in .bz2 or .gz."""
    if path.suffix == ".bz2":
        return bz2.open(path, "rb")
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def complete_extract(path: Path, out: Path) -> Path | None:
    """Write a copy of an OSM XML file without references to nodes or ways it does not hold.

    Ways are cut where they leave the extract (each stretch of two or more present nodes is kept);
    relations with missing members are dropped. Returns None, writing nothing, when the file is
    complete already.
    """
    node_ids: set[str] = set()
    missing = False
    try:
        with _open_text(path) as file:
            for _, element in ET.iterparse(file, events=("end",)):
                if element.tag == "node":
                    node_ids.add(element.get("id", ""))
                elif element.tag == "way":
                    missing = missing or any(
                        nd.get("ref") not in node_ids for nd in element.iter("nd")
                    )
                    element.clear()
                elif element.tag == "relation":
                    element.clear()
    except (ET.ParseError, EOFError, OSError) as exc:
        raise SiteError(f"{path} is not a readable OpenStreetMap XML file ({exc})") from exc
    if not missing:
        return None
    way_ids: set[str] = set()
    next_id = -1
    with _open_text(path) as file, out.open("wb") as sink:
        sink.write(b"<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n")
        for _, element in ET.iterparse(file, events=("end",)):
            if element.tag == "node":
                sink.write(ET.tostring(element))
                element.clear()
            elif element.tag == "way":
                tags = [t for t in element if t.tag == "tag"]
                pieces: list[list[str]] = [[]]
                for nd in element.iter("nd"):
                    ref = nd.get("ref", "")
                    if ref in node_ids:
                        pieces[-1].append(ref)
                    elif pieces[-1]:
                        pieces.append([])
                for index, piece in enumerate(p for p in pieces if len(p) >= 2):
                    way_id = element.get("id", "") if index == 0 else str(next_id)
                    if index > 0:
                        next_id -= 1
                    way_ids.add(way_id)
                    way = ET.Element("way", id=way_id)
                    way.extend(ET.Element("nd", ref=ref) for ref in piece)
                    way.extend(tags)
                    sink.write(ET.tostring(way))
                element.clear()
            elif element.tag == "relation":
                members = element.findall("member")
                complete = all(
                    (m.get("type") == "node" and m.get("ref") in node_ids)
                    or (m.get("type") == "way" and m.get("ref") in way_ids)
                    for m in members
                    if m.get("type") in {"node", "way"}
                )
                if complete and not any(m.get("type") == "relation" for m in members):
                    sink.write(ET.tostring(element))
                element.clear()
        sink.write(b"</osm>\n")
    return out


def _check_looks_like_osm(path: Path) -> None:
    """Fail early and clearly on a file that is not OSM XML at all (osmnx's errors are cryptic)."""
    try:
        with _open_text(path) as file:
            head = file.read(4096)
    except (OSError, EOFError) as exc:
        raise SiteError(f"{path} cannot be read: {exc}") from exc
    if b"<osm" not in head:
        raise SiteError(f"{path} is not an OpenStreetMap XML file (no <osm> element at its start)")
