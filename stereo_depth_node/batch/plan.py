# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Windows of a bag: ranges of bag time cut from the bag's index alone.

A window owns the stereo sets whose left image was recorded in its half-open
range of bag time; the first window is open towards the past and the last
towards the future, so every set has exactly one owner whatever the cuts. Bag
time, not header stamps: it is what the index orders and what a window reads
by, whatever clock the camera stamped its images with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from stereo_depth_node.ros.bag_process import TimeRange


@dataclass(frozen=True)
class Window:
    """One task's share of a bag: its position and the bag times (ns) of the left images it owns."""

    index: int
    times: TimeRange


def cut_windows(start: int, end: int, left_images: int, per_window: int) -> tuple[Window, ...]:
    """Windows of equal duration holding about ``per_window`` left images each.

    Parameters
    ----------
    start, end : int
        The bag's first message time and the time after its last one, ns.
    left_images : int
        Left images the bag's index counts.
    per_window : int
        Left images a window should hold (>= 1).

    Returns
    -------
    tuple of Window
        ``ceil(left_images / per_window)`` windows (at least one), cut at equal
        steps of bag time; the first starts at None (the past), the last stops at
        None (the future).
    """
    if per_window < 1:
        raise ValueError(f"a window must hold at least 1 left image, not {per_window}")
    count = max(1, math.ceil(left_images / per_window))
    cuts: list[int | None] = [None]
    cuts += [start + (end - start) * k // count for k in range(1, count)]
    cuts.append(None)
    return tuple(Window(k, TimeRange(cuts[k], cuts[k + 1])) for k in range(count))
