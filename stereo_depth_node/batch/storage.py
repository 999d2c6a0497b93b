# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Where batch output goes: a local folder, or any URL ``fsspec`` opens (``s3://`` ...).

Keys are ``/``-separated paths below the output root. Every write is whole or
absent: a local file is written under a temporary name and renamed, an object
store's upload is atomic per object. ``fsspec`` is imported only for URLs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any


def is_url(location: str) -> bool:
    """True for ``scheme://...`` (object storage), False for a local path."""
    return "://" in location and not location.startswith("file://")


def scratch_root(scratch: str | None) -> Path:
    """The local folder for copies of bags at URLs and for uploads being written.

    ``scratch`` (``--scratch``), or ``stereo-depth-batch`` in the temporary folder.
    """
    return Path(scratch) if scratch else Path(tempfile.gettempdir()) / "stereo-depth-batch"


class LocalStore:
    """A folder: parts are moved into place by renaming, never copied."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()
        self.location = str(self.root)

    def _path(self, key: str) -> Path:
        return self.root / key

    def read_bytes(self, key: str) -> bytes | None:
        """The file's contents, None when there is none."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def write_bytes(self, key: str, data: bytes) -> None:
        """Write whole or not at all: a temporary file, flushed to disk, then renamed."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def put(self, local: Path, key: str) -> None:
        """Move ``local`` (on the same file system: see :meth:`scratch`) to ``key``.

        Its data is flushed to disk first: a ledger entry written after it vouches for it.
        """
        with open(local, "rb") as file:
            os.fsync(file.fileno())
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(local, path)

    def names(self, key: str) -> list[str]:
        """Names of the entries in folder ``key`` (none when it does not exist)."""
        try:
            return sorted(entry.name for entry in self._path(key).iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return []

    def remove(self, key: str) -> None:
        """Remove a file or a folder with everything in it; nothing there is no error."""
        path = self._path(key)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)

    def scratch(self, key: str) -> Path:
        """A local folder for work in progress, under the root so that :meth:`put` renames."""
        path = self._path(f".work/{key}")
        path.mkdir(parents=True, exist_ok=True)
        return path


class UrlStore:
    """Object storage through ``fsspec``: parts are uploaded, work in progress stays local."""

    def __init__(self, url: str, scratch: str | None = None) -> None:
        import fsspec

        self.location = url.rstrip("/")
        self._fs: Any
        self._fs, self._root = fsspec.core.url_to_fs(self.location)
        self._scratch = scratch

    def _path(self, key: str) -> str:
        return f"{self._root}/{key}"

    def read_bytes(self, key: str) -> bytes | None:
        """As :meth:`LocalStore.read_bytes`."""
        try:
            return bytes(self._fs.cat_file(self._path(key)))
        except FileNotFoundError:
            return None

    def write_bytes(self, key: str, data: bytes) -> None:
        """As :meth:`LocalStore.write_bytes`."""
        self._fs.pipe_file(self._path(key), data)

    def put(self, local: Path, key: str) -> None:
        """Upload ``local``, then remove it."""
        self._fs.put_file(str(local), self._path(key))
        local.unlink()

    def names(self, key: str) -> list[str]:
        """As :meth:`LocalStore.names`."""
        try:
            entries = self._fs.ls(self._path(key), detail=False, refresh=True)
        except FileNotFoundError:
            return []
        return sorted(str(entry).rstrip("/").rsplit("/", 1)[-1] for entry in entries)

    def remove(self, key: str) -> None:
        """As :meth:`LocalStore.remove`."""
        path = self._path(key)
        if self._fs.exists(path):
            self._fs.rm(path, recursive=True)

    def scratch(self, key: str) -> Path:
        """A local folder for work in progress, below the scratch root."""
        path = scratch_root(self._scratch) / "work" / key
        path.mkdir(parents=True, exist_ok=True)
        return path


def open_store(location: str, scratch: str | None = None) -> LocalStore | UrlStore:
    """The store of an output location: a local folder, or a URL fsspec can open."""
    return UrlStore(location, scratch) if is_url(location) else LocalStore(location)
