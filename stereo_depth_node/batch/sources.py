# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The input bags of a batch run: found in folders or under URLs, and their indexes.

A bag is a folder with ``metadata.yaml`` or a single ``.mcap`` or ``.db3`` file;
a folder that is no bag is searched for bags. Only indexes are read here (a
folder bag's ``metadata.yaml``, a single file's summary or timestamp index).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from stereo_depth_node.batch.storage import is_url, scratch_root
from stereo_depth_node.batch.url_path import UrlPath
from stereo_depth_node.ros.bag_io import METADATA_FILE, BagError, BagReader, check_metadata

BAG_FILE_SUFFIXES = (".mcap", ".db3")


@dataclass(frozen=True)
class BagSource:
    """One input bag: the name of its output bag and where it is (a path or a URL)."""

    name: str
    location: str


@dataclass(frozen=True)
class BagIndex:
    """What a bag's index says: its time span (ns) and messages per topic."""

    start: int
    end: int  # after the last message
    counts: dict[str, int]

    @property
    def identity(self) -> str:
        """12 hex digits that change when the bag does (re-recorded, grown, cut)."""
        text = json.dumps([self.start, self.end, sorted(self.counts.items())])
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _bag_name(location: str) -> str:
    name = location.rstrip("/").rsplit("/", 1)[-1]
    return name[:-len(suffix)] if (suffix := Path(name).suffix) in BAG_FILE_SUFFIXES else name


def _local_bags(path: Path, skip: Path | None) -> Iterator[Path]:
    if path.is_file():
        if path.suffix in BAG_FILE_SUFFIXES:
            yield path
        return
    if (path / METADATA_FILE).is_file():
        yield path
        return
    for entry in sorted(path.iterdir()):
        if entry.name.startswith(".") or (skip is not None and entry.resolve() == skip):
            continue
        yield from _local_bags(entry, skip)


def _url_bags(url: str, skip: str | None) -> Iterator[str]:
    import fsspec

    fs: Any
    fs, root = fsspec.core.url_to_fs(url)
    protocol = url.split("://", 1)[0]
    if root.endswith(BAG_FILE_SUFFIXES):
        yield url
        return
    skipped = fsspec.core.url_to_fs(skip)[1].rstrip("/") + "/" if skip and is_url(skip) else None
    files = [str(name) for name in fs.find(root)
             if skipped is None or not str(name).startswith(skipped)]
    folders = sorted({name.rsplit("/", 1)[0] for name in files
                      if name.endswith(f"/{METADATA_FILE}")})
    yield from (f"{protocol}://{folder}" for folder in folders)
    yield from (f"{protocol}://{name}" for name in sorted(files)
                if name.endswith(BAG_FILE_SUFFIXES)
                and not any(name.startswith(f"{folder}/") for folder in folders))


def find_bags(locations: Sequence[str], skip: str | None = None) -> list[BagSource]:
    """Every bag at or under ``locations``, in the order given (each folder's sorted).

    ``skip`` (the output folder or URL) is not searched.

    Raises
    ------
    BagError
        A location that does not exist or holds no bag, or two bags with one
        name (their outputs would collide).
    """
    skip_path = Path(skip).resolve() if skip and not is_url(skip) else None
    sources: list[BagSource] = []
    for location in locations:
        if is_url(location):
            found = list(_url_bags(location, skip))
        else:
            if not Path(location).exists():
                raise BagError(f"{location} does not exist")
            if skip_path is not None and Path(location).resolve().is_relative_to(skip_path):
                raise BagError(f"{location} is the output folder {skip} or lies inside it: "
                               "choose an output folder apart from the inputs")
            found = [str(path) for path in _local_bags(Path(location), skip_path)]
        if not found:
            raise BagError(f"no bag in {location} (a bag is a folder with {METADATA_FILE}, or an "
                           f"{' or '.join(BAG_FILE_SUFFIXES)} file)")
        sources += [BagSource(_bag_name(bag), bag) for bag in found]
    by_name: dict[str, str] = {}
    for source in sources:
        if source.name in by_name:
            raise BagError(f"two bags are named {source.name} ({by_name[source.name]} and "
                           f"{source.location}): their outputs would be one folder; give them "
                           "different names")
        by_name[source.name] = source.location
    return sources


def read_index(source: BagSource, scratch: str | None) -> BagIndex:
    """The index of ``source``: a folder bag's ``metadata.yaml`` alone, or a file's summary.

    Raises BagError for a bag that cannot be opened.
    """
    if is_url(source.location) and not source.location.endswith(BAG_FILE_SUFFIXES):
        info = _metadata(_url_path(source.location))
        try:
            start = int(info["starting_time"]["nanoseconds_since_epoch"])
            counts: dict[str, int] = {}
            for topic in info["topics_with_message_count"]:
                name = topic["topic_metadata"]["name"]
                counts[name] = counts.get(name, 0) + int(topic["message_count"])
            return BagIndex(start, start + int(info["duration"]["nanoseconds"]) + 1, counts)
        except KeyError as error:
            raise BagError(f"cannot read {source.location}/{METADATA_FILE}: it has no field "
                           f"{error}") from None
    with BagReader(readable_bag(source, scratch)) as reader:
        return BagIndex(reader.start_time, reader.end_time, dict(reader.counts))


def _url_path(url: str) -> UrlPath:
    import fsspec

    fs, path = fsspec.core.url_to_fs(url)
    return UrlPath(fs, path, url.split("://", 1)[0])


def _metadata(bag: UrlPath) -> dict[str, Any]:
    """A folder bag's metadata at a URL, checked as every bag's is (``check_metadata``)."""
    info = check_metadata(cast(Path, bag))  # a UrlPath reads as a Path does
    if not info:
        raise BagError(f"cannot open bag {bag}: it has no {METADATA_FILE}")
    return info


def _is_mcap(bag: UrlPath) -> bool:
    """Whether a bag at a URL is stored as MCAP (a file, or a folder whose metadata says so)."""
    if bag.suffix in BAG_FILE_SUFFIXES:
        return bag.suffix == ".mcap"
    return bool(_metadata(bag).get("storage_identifier") == "mcap")


def readable_bag(source: BagSource, scratch: str | None) -> Path | UrlPath:
    """What the bag reader opens for ``source``: its path, the URL, or a local copy.

    A bag at a URL stored as MCAP is read in place, by range requests; one stored
    as sqlite3 is copied first (SQLite needs a local file).
    """
    if not is_url(source.location):
        return Path(source.location)
    remote = _url_path(source.location)
    return remote if _is_mcap(remote) else _local_copy(source, remote, scratch)


def _local_copy(source: BagSource, remote: UrlPath, scratch: str | None) -> Path:
    """A local copy of a bag at a URL, in :func:`storage.scratch_root`.

    A copy is made once per machine, scratch folder and version of the remote
    files (their sizes and modification times): downloaded under a temporary name
    and renamed, so a copy that exists is whole.
    """
    files = list(remote.iterdir()) if remote.is_dir() else [remote]
    version = [(file.name, file.stat().st_size, file.stat().st_mtime) for file in files]
    digest = hashlib.sha256(json.dumps([source.location, version]).encode()).hexdigest()[:16]
    inputs = scratch_root(scratch) / "inputs"
    target = inputs / digest / remote.name
    if not target.exists():
        staging = inputs / f".{digest}.{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        folder = staging / remote.name if remote.is_dir() else staging
        try:
            folder.mkdir(parents=True)
            for file in files:
                file.download(str(folder / file.name))
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(staging / remote.name, target)
            except OSError:
                if not target.exists():  # else another worker's copy came first: the same
                    raise
        except OSError as error:
            raise BagError(f"cannot download {source.location}: {error}") from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target
