# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""A bag at a URL read in place: the path interface ``rosbags`` and the bag reader use.

An MCAP bag needs no local copy: its summary, chunk index and the chunks of a
window are read by range requests (``fsspec`` files read ahead in blocks of
:data:`BLOCK_BYTES`). Only what a path of :mod:`pathlib` offers for reading is
here; ``fsspec`` is imported by the caller.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any, BinaryIO

BLOCK_BYTES = 8 * 2**20  # a range request's size: a few MCAP chunks


class UrlPath:
    """A file or folder in an ``fsspec`` file system, read-only."""

    def __init__(self, fs: Any, path: str, protocol: str) -> None:
        self._fs, self._path, self._protocol = fs, path.rstrip("/"), protocol

    def __str__(self) -> str:
        return f"{self._protocol}://{self._path}"

    def __truediv__(self, name: object) -> UrlPath:
        return UrlPath(self._fs, f"{self._path}/{name}", self._protocol)

    @property
    def name(self) -> str:
        """As :class:`pathlib.Path`'s."""
        return self._path.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        """As :class:`pathlib.Path`'s."""
        name = self.name
        return name[name.rindex("."):] if "." in name else ""

    @property
    def stem(self) -> str:
        """As :class:`pathlib.Path`'s."""
        return self.name[:len(self.name) - len(self.suffix)]

    def exists(self) -> bool:
        """As :class:`pathlib.Path`'s."""
        return bool(self._fs.exists(self._path))

    def is_dir(self) -> bool:
        """As :class:`pathlib.Path`'s."""
        return bool(self._fs.isdir(self._path))

    def is_file(self) -> bool:
        """As :class:`pathlib.Path`'s."""
        return bool(self._fs.isfile(self._path))

    def iterdir(self) -> Iterator[UrlPath]:
        """As :class:`pathlib.Path`'s."""
        for entry in self._fs.ls(self._path, detail=False):
            yield UrlPath(self._fs, str(entry), self._protocol)

    def stat(self, *, follow_symlinks: bool = True) -> Any:
        """The size (``st_size``) and modification time (``st_mtime``, 0 when unknown)."""
        info = self._fs.info(self._path)
        modified = info.get("LastModified") or info.get("mtime") or 0
        return SimpleNamespace(st_size=int(info["size"]), st_mtime=getattr(
            modified, "timestamp", lambda: float(modified))())

    def open(self, mode: str = "rb", *args: Any, **kwargs: Any) -> BinaryIO:
        """The file for reading by range requests, read ahead in :data:`BLOCK_BYTES` blocks."""
        if mode != "rb":
            raise PermissionError(f"{self} is opened for reading only, not {mode!r}")
        file: BinaryIO = self._fs.open(self._path, "rb", block_size=BLOCK_BYTES,
                                       cache_type="readahead")
        return file

    def download(self, local: str) -> None:
        """Copy the file to the local path ``local``, streamed."""
        self._fs.get_file(self._path, local)

    def read_bytes(self) -> bytes:
        """As :class:`pathlib.Path`'s."""
        return bytes(self._fs.cat_file(self._path))

    def read_text(self, encoding: str | None = None) -> str:
        """As :class:`pathlib.Path`'s."""
        return self.read_bytes().decode(encoding or "utf-8")
