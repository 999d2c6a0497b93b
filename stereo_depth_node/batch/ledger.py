# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""What a batch run has finished: one small entry per complete window, written last.

A run is named by a hash of everything that decides its output (the processing
options, the window plan, the package's version); a window's part and entry are
named by its bag and its position. A part without an entry is a leftover of an
interrupted task; an entry says its part is whole and where it is.

Layout below the output root::

    <bag>/<bag>_<run>_<window>.<mcap|db3>   the parts (the output bag's data files)
    <bag>/metadata.yaml                  written when every window is complete
    .ledger/<run>/<bag>/<window>.json    one entry per complete window
    .work/<run>/<bag>/<attempt>/         windows being written (local output)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from importlib import metadata
from typing import Any

from stereo_depth_node.batch.options import BatchOptions
from stereo_depth_node.batch.storage import LocalStore, UrlStore

LEDGER = ".ledger"
WORK = ".work"
STORAGE_SUFFIXES = {"mcap": ".mcap", "sqlite3": ".db3"}


def package_version() -> str:
    """The installed package's version ("unknown" when it is not installed)."""
    try:
        return metadata.version("stereo_depth_node")
    except metadata.PackageNotFoundError:
        return "unknown"


def run_id(options: BatchOptions) -> str:
    """12 hex digits naming what decides a run's output: options, window plan, merge, version."""
    decided = {"options": dataclasses.asdict(options.process), "window_sets": options.window_sets,
               "halo_ns": options.halo, "merge": options.merge, "version": package_version()}
    text = json.dumps(decided, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def part_name(bag: str, run: str, window: int, storage: str) -> str:
    """The file name of a window's part: the bag's, the run's and the window's.

    As ``ros2 bag record`` names a split bag's files (``<bag>_<n>``), with the run
    in between, so that no attempt of another run can replace it.
    """
    return f"{bag}_{run}_{window}{STORAGE_SUFFIXES[storage]}"


class Ledger:
    """The entries of one run in a store."""

    def __init__(self, store: LocalStore | UrlStore, run: str) -> None:
        self.store = store
        self.run = run

    def _key(self, bag: str, window: int | None = None) -> str:
        folder = f"{LEDGER}/{self.run}/{bag}"
        return folder if window is None else f"{folder}/{window:06d}.json"

    def record(self, bag: str, window: int, entry: dict[str, Any]) -> None:
        """Write a window's entry (after its part is in place)."""
        self.store.write_bytes(self._key(bag, window), json.dumps(entry, indent=1).encode())

    def complete(self, bag: str, source: str) -> dict[int, dict[str, Any]]:
        """The entries of ``bag``'s complete windows, by window index.

        Only entries of the input bag as it is now (its ``source`` identity) count.
        """
        entries = {}
        for name in self.store.names(self._key(bag)):
            if name.endswith(".json") and not name.startswith("."):
                data = self.store.read_bytes(f"{self._key(bag)}/{name}")
                try:
                    entry = json.loads(data or b"")
                    if entry["source"] == source:
                        entries[int(entry["window"])] = entry
                except (ValueError, KeyError, TypeError):
                    continue  # not an entry this package wrote: its window runs again
        return entries

    def forget_other_runs(self, bag: str) -> None:
        """Remove ``bag``'s entries and work of every other run (their parts are leftovers)."""
        for folder in (LEDGER, WORK):
            for run in self.store.names(folder):
                if run != self.run:
                    self.store.remove(f"{folder}/{run}/{bag}")
                    if not self.store.names(f"{folder}/{run}"):
                        self.store.remove(f"{folder}/{run}")
