# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""``stereo-depth batch``: plan every bag's windows, run them on an engine, merge, summarize.

Re-running the same command resumes: windows with a ledger entry (and their part
in place) are skipped, leftovers of interrupted tasks are removed, and the
output equals that of a run that never failed. A bag is merged (its
``metadata.yaml`` written) only when every one of its windows is complete.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from stereo_depth_node.batch.engines import Engine
from stereo_depth_node.batch.ledger import Ledger, package_version, run_id
from stereo_depth_node.batch.merge import merge_copy, merge_split, merged_run, remove_leftovers
from stereo_depth_node.batch.options import PARTIAL, BatchOptions
from stereo_depth_node.batch.plan import cut_windows
from stereo_depth_node.batch.progress import Progress
from stereo_depth_node.batch.sources import BagIndex, BagSource, find_bags, read_index
from stereo_depth_node.batch.storage import LocalStore, UrlStore, is_url, open_store
from stereo_depth_node.batch.window_task import WindowRecord, WindowTask
from stereo_depth_node.ros.bag_io import BagError, check_apart
from stereo_depth_node.ros.bag_process import image_topic

SUMMARY = "summary.json"


@dataclass
class BagResult:
    """What became of one input bag."""

    name: str
    source: str
    windows: int = 0
    complete: int = 0  # windows complete, this run or an earlier one
    skipped: int = 0  # of those, complete before this run
    failed: int = 0
    sets: int = 0  # sets written
    left_images: int = 0  # the index's count: the planned total
    worker_peak_bytes: int = 0  # the largest peak resident memory a worker reported
    output: str | None = None  # the merged bag, when every window is complete
    reasons: list[str] = field(default_factory=list)  # why windows failed

    @property
    def status(self) -> str:
        """Complete (merged), failed (some window failed) or incomplete."""
        if self.output is not None:
            return "complete"
        return "failed" if self.failed else "incomplete"


@dataclass
class BatchSummary:
    """The run's outcome: per bag, and the exit status."""

    run: str
    engine: str
    workers: int
    bags: list[BagResult]
    seconds: float = 0.0

    @property
    def exit_status(self) -> int:
        """0 when every bag is complete, else :data:`PARTIAL`."""
        return 0 if all(bag.status == "complete" for bag in self.bags) else PARTIAL

    def to_json(self) -> dict[str, Any]:
        """The summary as ``summary.json`` holds it."""
        return {"run": self.run, "version": package_version(), "engine": self.engine,
                "workers": self.workers, "seconds": round(self.seconds, 3),
                "exit_status": self.exit_status,
                "sets": sum(bag.sets for bag in self.bags),
                "bags": [asdict(bag) | {"status": bag.status} for bag in self.bags]}

    def table(self) -> list[str]:
        """A short table for a person: one line a bag, then the totals."""
        width = max([len(bag.name) for bag in self.bags] + [3])
        lines = [f"{'bag':<{width}}  status      windows  failed     sets"]
        for bag in self.bags:
            lines.append(f"{bag.name:<{width}}  {bag.status:<10}  "
                         f"{bag.complete:>3}/{bag.windows:<3}  {bag.failed:>6}  {bag.sets:>7}")
            lines += [f"  {reason}" for reason in bag.reasons]
        done = sum(bag.status == "complete" for bag in self.bags)
        peak = max([bag.worker_peak_bytes for bag in self.bags] + [0])
        lines.append(f"{done} of {len(self.bags)} bags complete, "
                     f"{sum(bag.sets for bag in self.bags)} sets, {self.seconds:.1f} s "
                     f"on {self.workers} worker(s) ({self.engine}), a worker's peak memory "
                     f"{peak / 2**20:.0f} MiB")
        return lines


def check_outputs_apart(sources: Sequence[BagSource], out: str) -> None:
    """BagError when an input bag is, contains or lies inside its own output bag's folder.

    Writing (and clearing) the output would change or remove the input.
    """
    for source in sources:
        output = f"{out.rstrip('/')}/{source.name}"
        if is_url(source.location) or is_url(out):
            inside = (output.startswith(source.location.rstrip("/") + "/")
                      or source.location.startswith(output + "/")
                      or source.location.rstrip("/") == output)
            if inside:
                raise BagError(f"the output {output} of bag {source.location} would overlap "
                               "it: choose an output folder apart from the inputs")
        else:
            check_apart(Path(source.location), Path(output))


def _plan(source: BagSource, index: BagIndex, options: BatchOptions,
          store: LocalStore | UrlStore, ledger: Ledger, result: BagResult,
          opencv_threads: int | None) -> tuple[list[WindowTask], list[WindowRecord]]:
    """Tasks for ``source``'s windows still to do, and records of those complete before.

    Whatever else the bag's output folder holds (parts of other runs or of
    interrupted windows, the metadata of an earlier merge) is removed.
    """
    result.left_images = index.counts.get(image_topic(options.process.input_topics[0],
                                                      index.counts), 0)
    windows = cut_windows(index.start, index.end, result.left_images, options.window_sets)
    result.windows = len(windows)
    part_names = set(store.names(source.name))
    done = {}
    for number, entry in ledger.complete(source.name, index.identity).items():
        record = WindowRecord.from_json(entry)
        if record.part is None or record.part in part_names:
            done[number] = record
    remove_leftovers(store, source.name, keep=[r.part for r in done.values() if r.part])
    ledger.forget_other_runs(source.name)
    shutil.rmtree(store.scratch(f"{ledger.run}/{source.name}"), ignore_errors=True)
    tasks, skipped = [], []
    for window in windows:
        if window.index in done:
            done[window.index].skipped = True
            skipped.append(done[window.index])
        else:
            tasks.append(WindowTask(source, window, options.process, options.halo, ledger.run,
                                    index.identity, store.location, options.scratch,
                                    opencv_threads))
    return tasks, skipped


def _count(result: BagResult, records: list[WindowRecord]) -> None:
    """Add ``records``' windows, sets, peak memory and failures to ``result``."""
    for record in sorted(records, key=lambda r: r.window):
        result.complete += record.complete
        result.skipped += record.skipped
        result.failed += not record.complete
        result.sets += record.sets
        result.worker_peak_bytes = max(result.worker_peak_bytes, record.worker_peak_bytes)
        if not record.complete:
            result.reasons.append(f"window {record.window}: {record.reason}")


def _finish(result: BagResult, records: list[WindowRecord], options: BatchOptions,
            store: LocalStore | UrlStore, run: str) -> None:
    """Count ``records`` into ``result``; merge the bag when all its windows are complete."""
    _count(result, records)
    if result.failed or result.complete < result.windows:
        return
    if result.sets == 0:
        result.failed = result.windows
        result.reasons.append("no stereo set could be processed in any window")
        return
    marker = f"{run}:{records[0].source}"
    if isinstance(store, LocalStore) and options.merge == "copy":
        merge_split(store, result.name, records, None)  # readable, not yet whole for a re-run
        merge_copy(store, result.name, [r.part for r in sorted(records, key=lambda r: r.window)
                                        if r.part], options.process.storage, run, marker)
    else:
        merge_split(store, result.name, records, marker)
    shutil.rmtree(store.scratch(f"{run}/{result.name}"), ignore_errors=True)
    result.output = f"{store.location}/{result.name}"


def _already_merged(store: LocalStore | UrlStore, ledger: Ledger, source: BagSource,
                    index: BagIndex, result: BagResult) -> list[WindowRecord] | None:
    """The records of ``source``'s windows when its output is whole from this same run."""
    if merged_run(store, source.name) != f"{ledger.run}:{index.identity}":
        return None
    records = [WindowRecord.from_json(entry | {"skipped": True})
               for entry in ledger.complete(source.name, index.identity).values()]
    result.windows = len(records)
    result.left_images = sum(record.left_images for record in records)
    result.output = f"{store.location}/{source.name}"
    _count(result, records)
    return records


def run_batch(locations: Sequence[str], options: BatchOptions, engine: Engine,
              progress_mode: str = "bar") -> BatchSummary:
    """Process every bag at ``locations`` into ``options.out``; see the module's description.

    Raises
    ------
    BagError
        No bag found, two bags with one name, an output that overlaps an input,
        or an output that cannot be written.
    """
    started = time.monotonic()
    try:
        store = open_store(options.out, options.scratch)
        sources = find_bags(locations, skip=options.out)
        check_outputs_apart(sources, options.out)
        ledger = Ledger(store, run_id(options))
        results = {source.name: BagResult(source.name, source.location) for source in sources}
        records: dict[str, list[WindowRecord]] = {source.name: [] for source in sources}
        tasks: list[WindowTask] = []
        planned = []
        for source in sources:
            result = results[source.name]
            try:
                index = read_index(source, options.scratch)
                merged = _already_merged(store, ledger, source, index, result)
                if merged is not None:
                    records[source.name] = merged
                    continue
                bag_tasks, skipped = _plan(source, index, options, store, ledger, result,
                                           engine.opencv_threads)
            except BagError as error:
                result.windows, result.failed = 1, 1
                result.reasons.append(f"cannot plan its windows: {error}")
                continue
            planned.append(source.name)
            tasks += bag_tasks
            records[source.name] += skipped
        total = sum(result.left_images for result in results.values())
        with Progress(progress_mode, total, sum(r.windows for r in results.values())) as progress:
            for bag_records in records.values():
                for record in bag_records:
                    progress.update(record)
            for record in engine.run(tasks):
                records[record.bag].append(record)
                progress.update(record)
        for name in planned:
            _finish(results[name], records[name], options, store, ledger.run)
        summary = BatchSummary(ledger.run, engine.name, engine.workers, list(results.values()),
                               time.monotonic() - started)
        store.write_bytes(SUMMARY, json.dumps(summary.to_json(), indent=1).encode())
    except OSError as error:
        raise BagError(f"cannot write the output {options.out}: "
                       f"{error.strerror or error}") from None
    for line in summary.table():
        print(line, file=sys.stderr)
    return summary
