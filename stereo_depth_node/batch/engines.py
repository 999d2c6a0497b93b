# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Where window tasks run: local worker processes, a Dask cluster or a Ray cluster.

Each engine runs :func:`run_window` on every task and yields one record per
task as tasks finish. A worker that dies (killed, out of memory) has its task
run again; a task is given up, with the reason, when its worker has died
:data:`ATTEMPTS` times. A task that fails for a reason in its data returns a
failed record and is not retried. Dask and Ray are imported only by their engine.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from stereo_depth_node.batch.window_task import WindowRecord, WindowTask, run_window

ATTEMPTS = 3  # deaths of a task's worker before the task is given up


def failed(task: WindowTask, reason: str) -> WindowRecord:
    """The record of a task that did not finish."""
    return WindowRecord(task.bag.name, task.window.index, complete=False, reason=reason)


class Engine(Protocol):
    """Runs window tasks; see the module's description."""

    name: str  # as summary.json names it
    workers: int
    opencv_threads: int | None  # OpenCV's threads per task; None: the worker's default

    def run(self, tasks: Sequence[WindowTask]) -> Iterator[WindowRecord]:
        """Run every task; yield its record as it finishes."""
        ...

    def close(self) -> None:
        """Release the engine's connections (a cluster keeps running)."""
        ...


_started: Any = None  # in a local worker: where it says which task it starts
_function: Callable[[WindowTask], WindowRecord] = run_window  # in a local worker: the work


def _start_worker(started: Any, function: Callable[[WindowTask], WindowRecord]) -> None:
    global _started, _function
    _started, _function = started, function


def _run_reported(task: WindowTask) -> WindowRecord:
    _started.put(task.key)
    return _function(task)


def _collect(started: Any, keys: set[str]) -> None:
    """Read the keys workers report starting into ``keys`` until a None comes."""
    with contextlib.suppress(EOFError, OSError, pickle.UnpicklingError):  # a worker killed
        while (key := started.get()) is not None:                          # mid-write
            keys.add(key)


class LocalEngine:
    """``workers`` processes on this machine, started with ``spawn``.

    ``function`` is what a worker runs on each task (:func:`run_window`).
    """

    name = "local"

    def __init__(self, workers: int | None = None,
                 function: Callable[[WindowTask], WindowRecord] = run_window) -> None:
        self.workers = workers or os.cpu_count() or 1
        # the cores shared out: one thread a worker when the workers fill them
        self.opencv_threads: int | None = max(1, (os.cpu_count() or 1) // self.workers)
        self.function = function

    def run(self, tasks: Sequence[WindowTask]) -> Iterator[WindowRecord]:
        """As :meth:`Engine.run`; a pool whose worker died is replaced.

        When a worker dies, every unfinished task of its pool fails with it. The
        tasks that had started are then run again one at a time, so that a death
        counts only against a task running alone; the others run again as new. A
        pool that breaks :data:`ATTEMPTS` times in a row before any task starts
        fails what is left.
        """
        pending = {task.key: task for task in tasks}
        deaths = dict.fromkeys(pending, 0)
        suspects: list[str] = []
        idle_breaks = 0
        while pending:
            alone = suspects.pop(0) if suspects else None
            batch = [pending[alone]] if alone is not None else list(pending.values())
            unfinished, broken = yield from self._round(batch, pending)
            if not broken:
                continue
            if alone is not None:
                if alone in pending:  # it died running alone
                    deaths[alone] += 1
                    if deaths[alone] < ATTEMPTS:
                        suspects.insert(0, alone)
                    else:
                        yield failed(pending.pop(alone), f"its worker process died {ATTEMPTS} "
                                                         "times (killed, or out of memory)")
                continue
            suspects += sorted(unfinished)
            idle_breaks = 0 if unfinished else idle_breaks + 1
            if idle_breaks >= ATTEMPTS:
                for key in list(pending):
                    yield failed(pending.pop(key), f"worker processes died {ATTEMPTS} times "
                                                   "before starting a window")

    def _round(self, tasks: list[WindowTask], pending: dict[str, WindowTask]
               ) -> Generator[WindowRecord, None, tuple[set[str], bool]]:
        """Run ``tasks`` on one pool (one worker for a single task), yielding each record.

        Finished tasks leave ``pending``. Returns the keys of the tasks that started
        and did not finish, and whether the pool broke (a worker died).
        """
        context = multiprocessing.get_context("spawn")
        queue = context.SimpleQueue()
        started: set[str] = set()
        reader = threading.Thread(target=_collect, args=(queue, started), daemon=True)
        reader.start()
        broken = False
        try:
            with ProcessPoolExecutor(min(self.workers, len(tasks)), mp_context=context,
                                     initializer=_start_worker,
                                     initargs=(queue, self.function)) as pool:
                futures: dict[Future[WindowRecord], WindowTask] = {}
                for task in tasks:
                    try:
                        futures[pool.submit(_run_reported, task)] = task
                    except BrokenProcessPool:  # a worker died already: the rest waits
                        broken = True
                        break
                for future in as_completed(futures):
                    task = futures[future]
                    try:
                        record = future.result()
                    except BrokenProcessPool:  # the others' results are still collected
                        broken = True
                        continue
                    except Exception as error:  # a bug: reported, the others go on
                        record = failed(task, f"internal error: {type(error).__name__}: "
                                              f"{error}")
                    del pending[task.key]
                    yield record
        finally:
            queue.put(None)  # the reader's end
            reader.join()
        return {key for key in started if key in pending}, broken

    def close(self) -> None:
        """Nothing to release: each run's processes end with it."""


class DaskEngine:
    """An existing Dask distributed cluster (``tcp://HOST:8786``)."""

    name = "dask"

    def __init__(self, address: str) -> None:
        from distributed import Client

        self.client: Any = Client(address)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        self.opencv_threads: int | None = None

    def run(self, tasks: Sequence[WindowTask]) -> Iterator[WindowRecord]:
        """As :meth:`Engine.run`; the scheduler retries a task whose worker died."""
        from distributed import as_completed

        # a worker that dies has its task run again by the scheduler (its allowed-failures,
        # 3 by default); an exception is a bug and is not retried
        futures = {self.client.submit(run_window, task, key=f"window-{task.run}-{task.key}",
                                      pure=False): task
                   for task in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                yield future.result()
            except Exception as error:  # KilledWorker after repeated deaths, or a bug
                yield failed(task, f"{type(error).__name__}: {error}")

    def close(self) -> None:
        """Disconnect from the cluster, which keeps running."""
        self.client.close()


class RayEngine:
    """A Ray cluster: ``auto`` inside a ``ray job``, or an address."""

    name = "ray"

    def __init__(self, address: str) -> None:
        import ray

        ray.init(address=address, ignore_reinit_error=True, log_to_driver=False,
                 include_dashboard=False)
        self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.opencv_threads: int | None = None

    def run(self, tasks: Sequence[WindowTask]) -> Iterator[WindowRecord]:
        """As :meth:`Engine.run`; Ray retries a task whose worker died."""
        import ray

        remote = ray.remote(max_retries=ATTEMPTS - 1, num_cpus=1)(run_window)
        references = {remote.remote(task): task for task in tasks}
        while references:
            done, _ = ray.wait(list(references), num_returns=1)
            task = references.pop(done[0])
            try:
                yield ray.get(done[0])
            except Exception as error:  # a worker that died every attempt, or a bug
                yield failed(task, f"{type(error).__name__}: {error}")

    def close(self) -> None:
        """Disconnect from the cluster."""
        import ray

        ray.shutdown()
