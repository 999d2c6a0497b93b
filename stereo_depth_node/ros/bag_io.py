# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""rosbag2 files (sqlite3 and mcap) read and written with ``rosbags``, messages as raw CDR.

Messages stay serialized here; rclpy's ``serialize_message`` and
``deserialize_message`` turn them into message objects where needed. Every
failure of the underlying library (a missing, corrupt or truncated bag) is
raised as :class:`BagError` with the bag's path and the cause.
"""

from __future__ import annotations

import importlib
import shutil
import sqlite3
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import apsw
from rclpy.exceptions import InvalidTopicNameException
from rclpy.validate_full_topic_name import validate_full_topic_name
from rosbags.rosbag2 import Reader, ReaderError, StoragePlugin, Writer, WriterError
from rosbags.typesys import Stores, get_typestore

from stereo_depth_node.ros.distribution import ros_distro

STORAGE_FORMATS = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}
# Message definitions written into bags: those of the distribution whose messages are loaded.
TYPESTORES = {"humble": Stores.ROS2_HUMBLE, "iron": Stores.ROS2_IRON, "jazzy": Stores.ROS2_JAZZY,
              "kilted": Stores.ROS2_KILTED}
BAG_TYPESTORE = TYPESTORES.get(ros_distro() or "", Stores.LATEST)
_TYPESTORE = get_typestore(BAG_TYPESTORE)
# What rosbags' parsers raise when they run out of bytes or meet nonsense in a data file.
_PARSE_ERRORS = (TypeError, AttributeError, struct.error, IndexError, AssertionError, EOFError)
# What a damaged bag can raise from inside rosbags and its storage back ends. rosbags reads
# sqlite3 files through apsw, whose errors (apsw.CorruptError ...) are no sqlite3.Error.
_READ_ERRORS = (ReaderError, apsw.Error, sqlite3.Error, OSError, ValueError, KeyError,
                *_PARSE_ERRORS)


class BagError(Exception):
    """A bag that cannot be read or written, with the reason."""


def _reason(error: BaseException, bag: Path) -> str:
    """What a bag library's exception says is wrong with ``bag``, on one line."""
    text = " ".join(str(error).split())
    if isinstance(error, apsw.Error):
        return f"{text} (SQLite {type(error).__name__})"
    if isinstance(error, _PARSE_ERRORS):
        files = ", ".join(f"{path} ({path.stat().st_size} bytes)" for path in _data_files(bag))
        return f"{files or bag} is truncated or corrupt ({type(error).__name__}: {text})"
    return text


def _data_files(bag: Path) -> list[Path]:
    """The storage files of a bag: the bag itself if it is a file, else those in its folder."""
    if bag.is_file():
        return [bag]
    try:
        return sorted(path for path in bag.iterdir()
                      if path.name != "metadata.yaml" and path.is_file())
    except OSError:
        return []


def message_class(type_name: str) -> type:
    """The rclpy message class of a type name such as ``sensor_msgs/msg/Image``."""
    package, _, name = type_name.partition("/msg/")
    try:
        return getattr(importlib.import_module(f"{package}.msg"), name)
    except (ImportError, AttributeError):
        raise BagError(f"message type {type_name} is not installed") from None


def check_topic_name(name: str, what: str) -> None:
    """BagError naming ``what`` and the reason when ``name`` is not a valid ROS topic name."""
    try:
        validate_full_topic_name(name if name.startswith("/") else f"/{name}")
    except InvalidTopicNameException as error:
        reason = str(error).splitlines()[0].removeprefix("Invalid topic name: ").rstrip(":")
        raise BagError(f"{what} {name!r} is not a valid topic name: {reason}") from None


class BagReader:
    """A bag opened for reading; use as a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._reader = Reader(self.path)
            self._reader.open()
        except _READ_ERRORS as error:
            raise BagError(f"cannot open bag {self.path}: {_reason(error, self.path)}") from None
        self.topics: dict[str, str] = {c.topic: c.msgtype for c in self._reader.connections}
        self.counts: dict[str, int] = {}
        for connection in self._reader.connections:
            self.counts[connection.topic] = (self.counts.get(connection.topic, 0)
                                             + connection.msgcount)

    def require_topics(self, topics: Iterable[str]) -> None:
        """Raise BagError naming the missing topics and listing those the bag has."""
        missing = [t for t in topics if t not in self.topics]
        if missing:
            have = ", ".join(f"{t} ({self.topics[t]})" for t in sorted(self.topics)) or "none"
            raise BagError(f"bag {self.path} has no topic {', '.join(missing)}; "
                           f"it has: {have}")

    def messages(self, topics: Iterable[str] | None = None) -> Iterator[tuple[str, int, bytes]]:
        """``(topic, timestamp_ns, cdr_bytes)`` in recording order, streamed."""
        wanted = set(self.topics if topics is None else topics)
        connections = [c for c in self._reader.connections if c.topic in wanted]
        try:
            for connection, timestamp, data in self._reader.messages(connections=connections):
                yield connection.topic, timestamp, bytes(data)
        except _READ_ERRORS as error:
            raise BagError(f"bag {self.path} is damaged: {_reason(error, self.path)}") from None

    def close(self) -> None:
        """Close the bag."""
        self._reader.close()

    def __enter__(self) -> BagReader:
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


class BagWriter:
    """A bag written under a temporary name and renamed into place only on success.

    Use as a context manager: leaving it with an exception removes the partial
    bag and leaves ``path`` untouched.
    """

    def __init__(self, path: str | Path, storage: str = "mcap") -> None:
        if storage not in STORAGE_FORMATS:
            raise BagError(f"storage format {storage!r} is not one of {', '.join(STORAGE_FORMATS)}")
        self.path = Path(path)
        if self.path.exists():
            raise BagError(f"{self.path} exists already; choose another output path")
        # Written as <staging>/<name>, so that the data file inside is named after the bag.
        self._staging = self.path.with_name(f".{self.path.name}.partial")
        shutil.rmtree(self._staging, ignore_errors=True)
        self._partial = self._staging / self.path.name
        try:
            self._staging.mkdir()
            self._writer = Writer(self._partial, version=9, storage_plugin=STORAGE_FORMATS[storage])
            self._writer.open()
        except (WriterError, OSError) as error:
            shutil.rmtree(self._staging, ignore_errors=True)
            raise BagError(f"cannot write bag {self.path}: {error}") from None
        self._connections: dict[str, Any] = {}
        self.counts: dict[str, int] = {}

    def write(self, topic: str, type_name: str, timestamp: int, data: bytes) -> None:
        """Append one serialized message; the topic is added on first use."""
        if topic not in self._connections:
            self._connections[topic] = self._writer.add_connection(topic, type_name,
                                                                   typestore=_TYPESTORE)
            self.counts[topic] = 0
        self._writer.write(self._connections[topic], timestamp, data)
        self.counts[topic] += 1

    def __enter__(self) -> BagWriter:
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            self._writer.close()
            if exc_type is None:
                self._partial.rename(self.path)
        finally:
            shutil.rmtree(self._staging, ignore_errors=True)
