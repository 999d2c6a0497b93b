# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Progress of a batch run: one bar for a person, or JSON lines for a program.

The bar (on stderr, only on a terminal) counts left images of windows done
against the planned total, with the rate, the time left and failed windows.
``jsonl`` writes one object per finished window to stdout.
"""

from __future__ import annotations

import json
import sys
import time
from types import TracebackType
from typing import Any

from stereo_depth_node.batch.options import PROGRESS_MODES
from stereo_depth_node.batch.window_task import WindowRecord


class Progress:
    """Reports windows as they finish; use as a context manager."""

    def __init__(self, mode: str, total: int, windows: int) -> None:
        if mode not in PROGRESS_MODES:
            raise ValueError(f"--progress must be one of {', '.join(PROGRESS_MODES)}, not {mode!r}")
        self.mode = mode
        self.total, self.windows = total, windows
        self.done = self.windows_done = self.failed = 0
        self._started = time.monotonic()
        self._bar: Any = None
        if mode == "bar":
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="set", desc="batch", disable=None,
                             file=sys.stderr, dynamic_ncols=True)

    def update(self, record: WindowRecord) -> None:
        """Count a finished (or skipped, or failed) window."""
        self.windows_done += 1
        self.failed += not record.complete
        self.done += record.left_images
        if self._bar is not None:
            self._bar.update(record.left_images)
            self._bar.set_postfix(windows=f"{self.windows_done}/{self.windows}",
                                  failed=self.failed, refresh=False)
        elif self.mode == "jsonl":
            line = {"bag": record.bag, "window": record.window, "complete": record.complete,
                    "skipped": record.skipped, "sets": record.sets, "done": self.done,
                    "total": self.total, "windows_done": self.windows_done,
                    "windows": self.windows, "failed": self.failed,
                    "elapsed_s": round(time.monotonic() - self._started, 3)}
            if record.reason:
                line["reason"] = record.reason
            print(json.dumps(line), flush=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, exc_type: type | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.close()
