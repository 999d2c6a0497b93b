# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""One window of one bag, processed where an engine runs it: the unit of a batch run.

A task reads its bag (by path, or a local copy of a URL), writes the sets it
owns with the per-set work of ``stereo-depth process``, puts its part in place
and then writes its ledger entry. It returns a small record (counts, names,
reasons), never arrays. It starts no ROS context: messages are only
deserialized and serialized.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from stereo_depth_node.batch.ledger import Ledger, part_name
from stereo_depth_node.batch.plan import Window
from stereo_depth_node.batch.sources import BagSource, readable_bag
from stereo_depth_node.batch.storage import open_store
from stereo_depth_node.ros.bag_io import METADATA_FILE, BagError, BagReader, BagWriter
from stereo_depth_node.ros.bag_process import (
    ProcessOptions,
    ProcessSummary,
    resolve_input_topics,
    write_frames,
)
from stereo_depth_node.ros.memory import peak_resident_bytes


@dataclass(frozen=True)
class WindowTask:
    """Everything a worker needs for one window; small and picklable."""

    bag: BagSource
    window: Window
    options: ProcessOptions
    halo: int  # ns of bag time read beyond the window on each side
    run: str  # the run's id (see ledger.run_id)
    source: str  # the input bag's identity (see sources.BagIndex.identity)
    out: str  # the output root: a folder or a URL
    scratch: str | None = None  # local folder for copies of URL inputs (storage.scratch_root)
    opencv_threads: int | None = None  # OpenCV's threads in the worker; None: its default

    @property
    def key(self) -> str:
        """``<bag>/<window>``: unique within a run."""
        return f"{self.bag.name}/{self.window.index}"


@dataclass
class WindowRecord:
    """What became of a window: counts and names only."""

    bag: str
    window: int
    complete: bool
    source: str = ""  # the input bag's identity when the window ran
    sets: int = 0  # sets written
    left_images: int = 0  # left images whose bag time the window owns
    paired: int = 0
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> sets
    without_depth: dict[str, int] = field(default_factory=dict)  # reason -> sets
    part: str | None = None  # the part's file name below the bag's output folder
    metadata: dict[str, Any] | None = None  # the part's rosbag2 metadata
    reason: str = ""  # why the window failed
    seconds: float = 0.0
    worker: str = ""  # host:pid
    worker_peak_bytes: int = 0  # the worker's peak resident memory so far (0: unknown)
    skipped: bool = False  # complete in an earlier run of the same command

    def to_json(self) -> dict[str, Any]:
        """The record as JSON data (the ledger entry of a complete window)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WindowRecord:
        """The record of a ledger entry."""
        return cls(**{name: data[name] for name in cls.__dataclass_fields__ if name in data})


def run_window(task: WindowTask) -> WindowRecord:
    """Process one window; a failure of its data or of the output is a failed record.

    Each attempt writes in a folder of its own, so that an attempt the engine
    started again elsewhere cannot remove or replace this one's files. Anything
    else than a data or output failure (a bug) is raised, for the engine to report.
    """
    started = time.monotonic()
    if task.opencv_threads is not None:
        import cv2

        cv2.setNumThreads(task.opencv_threads)
    record = WindowRecord(task.bag.name, task.window.index, complete=False,
                          source=task.source, worker=f"{socket.gethostname()}:{os.getpid()}")
    name = part_name(task.bag.name, task.run, task.window.index, task.options.storage)
    summary = ProcessSummary()
    attempt: Path | None = None
    try:
        store = open_store(task.out, task.scratch)
        attempt = store.scratch(f"{task.run}/{task.bag.name}/{uuid.uuid4().hex}")
        staged = attempt / Path(name).stem  # the bag's data file is named after its folder
        with BagReader(readable_bag(task.bag, task.scratch)) as reader:
            inputs = resolve_input_topics(reader, task.options.input_topics)
            with BagWriter(staged, task.options.storage) as writer:
                write_frames(reader, writer, task.options, summary, inputs,
                             owned=task.window.times, halo=task.halo)
        if sum(writer.counts.values()):  # sets, or with include_inputs inputs alone
            record.metadata = yaml.safe_load((staged / METADATA_FILE).read_text())
            store.put(staged / name, f"{task.bag.name}/{name}")
            record.part = name
        record.complete = True
        record.sets, record.left_images = summary.frames_written, summary.frames_in
        record.paired = summary.frames_paired
        record.dropped, record.without_depth = dict(summary.dropped), dict(summary.without_depth)
        record.seconds = time.monotonic() - started  # in the ledger: how long it took
        record.worker_peak_bytes = peak_resident_bytes() or 0
        Ledger(store, task.run).record(task.bag.name, task.window.index, record.to_json())
    except (BagError, OSError) as error:
        record.complete = False
        record.reason = str(error) if isinstance(error, BagError) else \
            f"cannot write the output: {error.strerror or error}"
        record.seconds = time.monotonic() - started
    finally:
        if attempt is not None:
            shutil.rmtree(attempt, ignore_errors=True)
    return record
