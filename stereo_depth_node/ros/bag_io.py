# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""rosbag2 files (sqlite3 and mcap) read and written with ``rosbags``, messages as raw CDR.

Messages stay serialized here; rclpy's ``serialize_message`` and
``deserialize_message`` turn them into message objects where needed. Every
failure of the underlying library (a missing, corrupt or truncated bag) is
raised as :class:`BagError` with the bag's path and the cause.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import shutil
import sqlite3
import struct
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, cast

import apsw
import yaml
from rclpy.exceptions import InvalidTopicNameException
from rclpy.validate_full_topic_name import validate_full_topic_name
from rosbags.rosbag2 import Reader, ReaderError, StoragePlugin, Writer, WriterError
from rosbags.typesys import Stores, get_typestore

from stereo_depth_node.core.error_text import one_line, yaml_problem
from stereo_depth_node.ros.distribution import ros_distro

if sys.version_info >= (3, 14):
    from compression.zstd import ZstdError
else:  # rosbags' dependency before Python 3.14
    from backports.zstd import ZstdError

STORAGE_FORMATS = {"mcap": StoragePlugin.MCAP, "sqlite3": StoragePlugin.SQLITE3}
# Message definitions written into bags: those of the distribution whose messages are loaded.
TYPESTORES = {"humble": Stores.ROS2_HUMBLE, "iron": Stores.ROS2_IRON, "jazzy": Stores.ROS2_JAZZY,
              "kilted": Stores.ROS2_KILTED}
BAG_TYPESTORE = TYPESTORES.get(ros_distro() or "", Stores.LATEST)
_TYPESTORE = get_typestore(BAG_TYPESTORE)
# What rosbags' parsers raise when they run out of bytes or meet nonsense in a data file.
_PARSE_ERRORS = (TypeError, AttributeError, struct.error, IndexError, AssertionError, EOFError,
                 OverflowError)
# What a damaged bag can raise from inside rosbags and its storage back ends. rosbags reads
# sqlite3 files through apsw, whose errors (apsw.CorruptError ...) are no sqlite3.Error.
_READ_ERRORS = (ReaderError, apsw.Error, sqlite3.Error, ZstdError, OSError, ValueError, KeyError,
                *_PARSE_ERRORS)


METADATA_FILE = "metadata.yaml"  # a bag folder's index, as rosbag2 names it


class BagError(Exception):
    """A bag that cannot be read or written, with the reason."""


class ReadablePath(Protocol):
    """A bag's location other than a local path: what reading it needs of :class:`pathlib.Path`.

    ``rosbags`` reads through the same methods (for example a bag at a URL read in
    place: ``batch.url_path.UrlPath``).
    """

    @property
    def name(self) -> str:
        """As :class:`pathlib.Path`'s (so are the methods below)."""
        ...

    def __truediv__(self, name: str) -> ReadablePath: ...

    def is_file(self) -> bool:  # noqa: D102
        ...

    def is_dir(self) -> bool:  # noqa: D102
        ...

    def read_bytes(self) -> bytes:  # noqa: D102
        ...


def _reason(error: BaseException, bag: Path, compression_mode: str = "") -> str:
    """What a bag library's exception says is wrong with ``bag``, on one line.

    ``compression_mode`` is metadata.yaml's: a zstd error means the data is not what it claims.
    """
    text = one_line(str(error))
    if isinstance(error, ZstdError):
        if compression_mode == "message":
            claimed, actual = "messages are", "they are"
        else:
            names = [str(path) for path in _data_files(bag)] or ["the data"]
            claimed, actual = "data files are", " and ".join(names) + (
                " is" if len(names) == 1 else " are")
        return (f"{bag / 'metadata.yaml'} says the {claimed} zstd-compressed (compression_mode: "
                f"{compression_mode}) but {actual} not zstd data ({text})")
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
                      if path.name != METADATA_FILE and path.is_file())
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


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_text_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_mapping(value: object) -> bool:
    return isinstance(value, dict)


_COUNT = (_is_count, "an integer, 0 or more")
_TEXT = (_is_text, "a string")
# metadata.yaml's fields that rosbags reads, and what rosbag2 writes there. rosbags trusts
# their types: text where a count belongs raised TypeError from deep inside it, or passed.
_METADATA_FIELDS: tuple[tuple[tuple[str, ...], tuple[Callable[[object], bool], str]], ...] = (
    (("version",), _COUNT),
    (("storage_identifier",), _TEXT),
    (("relative_file_paths",), (_is_text_list, "a list of strings")),
    (("duration",), (_is_mapping, "a mapping with nanoseconds")),
    (("duration", "nanoseconds"), _COUNT),
    (("starting_time",), (_is_mapping, "a mapping with nanoseconds_since_epoch")),
    (("starting_time", "nanoseconds_since_epoch"), (_is_integer, "an integer")),
    (("message_count",), _COUNT),
    (("compression_format",), _TEXT),
    (("compression_mode",), _TEXT),
    (("topics_with_message_count",), (lambda v: isinstance(v, list), "a list")),
    (("files",), (lambda v: isinstance(v, list), "a list")),
)
_TOPIC_FIELDS: tuple[tuple[tuple[str, ...], tuple[Callable[[object], bool], str]], ...] = (
    ((), (_is_mapping, "a mapping with message_count and topic_metadata")),
    (("message_count",), _COUNT),
    (("topic_metadata",), (_is_mapping, "a mapping with name, type and serialization_format")),
    (("topic_metadata", "name"), _TEXT),
    (("topic_metadata", "type"), _TEXT),
    (("topic_metadata", "serialization_format"), _TEXT),
)
_FILE_FIELDS: tuple[tuple[tuple[str, ...], tuple[Callable[[object], bool], str]], ...] = (
    ((), (_is_mapping, "a mapping with path, starting_time, duration and message_count")),
    (("path",), _TEXT),
    (("starting_time",), (_is_mapping, "a mapping with nanoseconds_since_epoch")),
    (("starting_time", "nanoseconds_since_epoch"), (_is_integer, "an integer")),
    (("duration",), (_is_mapping, "a mapping with nanoseconds")),
    (("duration", "nanoseconds"), _COUNT),
    (("message_count",), _COUNT),
)


def _field_problem(section: object, prefix: str,
                   fields: tuple[tuple[tuple[str, ...], tuple[Callable[[object], bool], str]], ...]
                   ) -> str | None:
    """The first field of ``section`` that is present but of the wrong kind, described."""
    for keys, (accepts, expected) in fields:
        value: Any = section
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                break  # a missing field: rosbags names it
            value = value[key]
        else:
            if not accepts(value):
                shown = repr(value) if len(repr(value)) <= 40 else f"{repr(value)[:37]}..."
                name = ".".join(part for part in (prefix, *keys) if part)
                return f"{name} is {shown}, expected {expected}"
    return None


def check_metadata(bag: Path) -> dict[str, Any]:
    """BagError naming the file and field where a bag's ``metadata.yaml`` is not rosbag2's.

    Checks the syntax and the kind of every field rosbags reads (counts and
    durations are integers, names are strings ...), and that messages are not
    claimed without a data file to hold them (``relative_file_paths: []``, which
    rosbags reads as an empty bag). A missing file or field is left to rosbags,
    whose message names it. Returns the file's
    ``rosbag2_bagfile_information`` (empty without a file).
    """
    path = bag / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        document = yaml.safe_load(path.read_bytes())
    except OSError as error:
        raise BagError(f"cannot open bag {bag}: cannot read {path}: "
                       f"{error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise BagError(f"cannot open bag {bag}: {yaml_problem(path, error)}") from None
    info = document.get("rosbag2_bagfile_information") if isinstance(document, dict) else None
    if not isinstance(info, dict):
        raise BagError(f"cannot open bag {bag}: {path} has no rosbag2_bagfile_information "
                       "mapping: it is no rosbag2 metadata file")
    problem = _field_problem(info, "", _METADATA_FIELDS)
    for key, fields in (("topics_with_message_count", _TOPIC_FIELDS), ("files", _FILE_FIELDS)):
        entries = info.get(key)
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            problem = problem or _field_problem(entry, f"{key}[{index}]", fields)
    if not problem and info.get("relative_file_paths") == [] and info.get("message_count"):
        problem = f"relative_file_paths is empty but message_count is {info['message_count']}"
    if problem:
        raise BagError(f"cannot open bag {bag}: {path}: {problem}")
    return info


class BagReader:
    """A bag opened for reading; use as a context manager.

    A folder's ``metadata.yaml`` is checked first (:func:`check_metadata`).
    """

    def __init__(self, path: str | Path | ReadablePath) -> None:
        # a ReadablePath reads as a Path does: typed as one for the functions below
        self.path = cast(Path, Path(path) if isinstance(path, str) else path)
        self._compression_mode = str(check_metadata(self.path).get("compression_mode") or "")
        try:
            self._reader = Reader(self.path)
            self._reader.open()
        except _READ_ERRORS as error:
            raise BagError(f"cannot open bag {self.path}: "
                           f"{_reason(error, self.path, self._compression_mode)}") from None
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

    @property
    def start_time(self) -> int:
        """Bag time (ns) of the first message, from the index."""
        return int(self._reader.start_time)

    @property
    def end_time(self) -> int:
        """Bag time (ns) after the last message, from the index."""
        return int(self._reader.end_time)

    def messages(self, topics: Iterable[str] | None = None, start: int | None = None,
                 stop: int | None = None) -> Iterator[tuple[str, int, bytes]]:
        """``(topic, timestamp_ns, cdr_bytes)`` in recording order, streamed.

        Only messages with ``start <= timestamp_ns < stop`` (None: unbounded); the
        storage's index finds them (MCAP chunk index, sqlite3 timestamp index).
        """
        wanted = set(self.topics if topics is None else topics)
        connections = [c for c in self._reader.connections if c.topic in wanted]
        try:
            for connection, timestamp, data in self._reader.messages(connections, start, stop):
                yield connection.topic, timestamp, bytes(data)
        except _READ_ERRORS as error:
            raise BagError(f"bag {self.path} is damaged: "
                           f"{_reason(error, self.path, self._compression_mode)}") from None

    def close(self) -> None:
        """Close the bag (what closing a damaged bag raises is of no consequence: ignored)."""
        with contextlib.suppress(*_READ_ERRORS):
            self._reader.close()

    def __enter__(self) -> BagReader:
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


# What writing a bag raises when the storage fails: the mcap back end writes a file, the
# sqlite3 one uses the standard library's sqlite3.
_WRITE_ERRORS = (WriterError, OSError, sqlite3.Error)


def _write_reason(error: BaseException) -> str:
    """Why writing failed, on one line; a full disk is said the same way for both back ends."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC or (
            isinstance(error, sqlite3.Error)
            and getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL):
        return "no space left on the device"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror  # without the temporary file's name
    if isinstance(error, sqlite3.Error):
        return f"{one_line(str(error))} (SQLite)"
    return one_line(str(error))


# A bag NAME is written as .NAME.partial/NAME/NAME.mcap: its name takes 9 more bytes there.
_STAGING_NAME_EXTRA = len("..partial")


def check_output_path(path: Path) -> None:
    """BagError unless a new bag can be made at ``path``: checked before any work is done.

    The path must not exist (a dangling symbolic link counts as existing), its
    folder must, and its name must fit the file system's limit with the
    temporary name's extra bytes.
    """
    parent = path.parent
    try:
        if not parent.exists():
            raise BagError(f"cannot write bag {path}: folder {parent} does not exist")
        if not parent.is_dir():
            raise BagError(f"cannot write bag {path}: {parent} is not a folder")
        limit = os.pathconf(parent, "PC_NAME_MAX") - _STAGING_NAME_EXTRA
        length = len(os.fsencode(path.name))
        if length > limit:
            raise BagError(f"cannot write bag {path}: its name is too long for the file system "
                           f"({length} bytes; at most {limit} fit, as the bag is first written "
                           "as .NAME.partial)")
        if path.is_symlink() and not path.exists():
            raise BagError(f"{path} exists already (a symbolic link to {os.readlink(path)}, "
                           "which does not exist); choose another output path")
        if path.exists():
            raise BagError(f"{path} exists already; choose another output path")
    except OSError as error:
        raise BagError(f"cannot write bag {path}: {error.strerror or error}") from None


def check_apart(in_path: Path, out_path: Path) -> None:
    """BagError when the output bag would lie inside the input bag, or the input inside it.

    A bag folder is the bag (its ``metadata.yaml`` lists its files); an output written
    into it would change the input. A bag that is one ``.mcap`` or ``.db3`` file has
    no folder of its own: its neighbours are not part of it. Symbolic links are
    followed on both sides.
    """
    bag, out = in_path.resolve(), out_path.resolve()
    if bag.is_dir() and out.is_relative_to(bag):
        raise BagError(f"cannot write bag {out_path} inside the input bag {in_path}: writing "
                       "there would change the input; choose an output path outside it")
    if bag.is_relative_to(out):
        raise BagError(f"the input bag {in_path} lies inside the output path {out_path}: "
                       "choose an output path that does not contain the input")


class BagWriter:
    """A bag written under a temporary name and renamed into place only on success.

    Use as a context manager: leaving it with an exception removes the partial
    bag and leaves ``path`` untouched. The path is checked first
    (:func:`check_output_path`).
    """

    def __init__(self, path: str | Path, storage: str = "mcap") -> None:
        if storage not in STORAGE_FORMATS:
            raise BagError(f"storage format {storage!r} is not one of {', '.join(STORAGE_FORMATS)}")
        self.path = Path(path)
        check_output_path(self.path)
        # Written as <staging>/<name>, so that the data file inside is named after the bag.
        self._staging = self.path.with_name(f".{self.path.name}.partial")
        shutil.rmtree(self._staging, ignore_errors=True)
        self._partial = self._staging / self.path.name
        try:
            self._staging.mkdir()
            self._writer = Writer(self._partial, version=9, storage_plugin=STORAGE_FORMATS[storage])
            self._writer.open()
        except _WRITE_ERRORS as error:
            shutil.rmtree(self._staging, ignore_errors=True)
            raise self._error(error) from None
        self._connections: dict[str, Any] = {}
        self.counts: dict[str, int] = {}

    def _error(self, error: BaseException) -> BagError:
        """BagError naming the bag (not its temporary name) and what went wrong."""
        return BagError(f"cannot write bag {self.path}: {_write_reason(error)}")

    def write(self, topic: str, type_name: str, timestamp: int, data: bytes) -> None:
        """Append one serialized message; the topic is added on first use.

        Raises BagError when the storage cannot be written (a full disk ...).
        """
        try:
            if topic not in self._connections:
                self._connections[topic] = self._writer.add_connection(topic, type_name,
                                                                       typestore=_TYPESTORE)
                self.counts[topic] = 0
            self._writer.write(self._connections[topic], timestamp, data)
        except _WRITE_ERRORS as error:
            raise self._error(error) from None
        self.counts[topic] += 1

    def __enter__(self) -> BagWriter:
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        try:
            if exc_type is not None:
                with contextlib.suppress(Exception):  # its files are removed anyway
                    self._writer.abort()
                return
            try:
                self._writer.close()
                self._partial.rename(self.path)
            except _WRITE_ERRORS as error:
                with contextlib.suppress(Exception):
                    self._writer.abort()
                raise self._error(error) from None
        finally:
            shutil.rmtree(self._staging, ignore_errors=True)
