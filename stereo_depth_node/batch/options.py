# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""What a batch run is asked to do, and its exit status: importable without ROS or bag libraries.

The command line builds its parser from these for every command, so this module
imports nothing heavier than the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from stereo_depth_node.batch.storage import is_url

if TYPE_CHECKING:
    from stereo_depth_node.ros.bag_process import ProcessOptions

PARTIAL = 3  # exit status: some windows failed; their bags are not merged
MERGE_MODES = ("split", "copy")
PROGRESS_MODES = ("bar", "jsonl", "none")
DEFAULT_WINDOW_SETS = 2000  # left images a window: a few minutes of work
DEFAULT_HALO_SECONDS = 2.0


@dataclass(frozen=True)
class BatchOptions:
    """How to cut, where to write and how to merge (processing options as ``process``'s)."""

    process: ProcessOptions
    out: str  # a folder or a URL
    window_sets: int = DEFAULT_WINDOW_SETS  # left images per window
    halo: int = round(DEFAULT_HALO_SECONDS * 1e9)  # ns of bag time read beyond a window
    merge: str = "split"  # of MERGE_MODES
    scratch: str | None = None  # local folder for copies of URL inputs (storage.scratch_root)

    def __post_init__(self) -> None:
        if self.window_sets < 1:
            raise ValueError(f"--window-sets must be at least 1, not {self.window_sets}")
        if self.halo < 0:
            raise ValueError(f"--halo must be 0 seconds or more, not {self.halo / 1e9:g}")
        if self.merge not in MERGE_MODES:
            raise ValueError(f"--merge must be one of {', '.join(MERGE_MODES)}, "
                             f"not {self.merge!r}")
        if self.merge == "copy" and is_url(self.out):
            raise ValueError("--merge copy needs a local output folder; with a URL, "
                             "--merge split")
