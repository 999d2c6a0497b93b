# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Heap settings for processes that handle multi-megabyte messages every frame."""

from __future__ import annotations

import ctypes
import ctypes.util

# glibc mallopt() parameters
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def keep_large_buffers(mmap_threshold: int = 64 << 20, trim_threshold: int = 256 << 20) -> bool:
    """Let glibc reuse freed message buffers instead of returning them to the OS.

    By default glibc serves every block above 32 MiB at most with ``mmap`` and
    unmaps it on ``free``, so each frame's images, serialized messages and
    clouds are faulted in again page by page: about 5 ms per 12 MB copy here.
    Raising both thresholds keeps those buffers in the heap (the same effect as
    ``MALLOC_MMAP_THRESHOLD_`` and ``MALLOC_TRIM_THRESHOLD_`` in the environment).

    Returns whether the settings were applied (False where the C library is not glibc).
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, mmap_threshold)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, trim_threshold))


def release_free_memory() -> bool:
    """Return the heap's free memory to the OS (glibc ``malloc_trim(0)``).

    With :func:`keep_large_buffers`, buffers freed when frames change size stay in the
    heap for buffers of that size to come; once the size has changed they are waste.
    Returns whether it ran (False where the C library is not glibc).
    """
    try:
        trim = ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
    except (OSError, AttributeError, TypeError):
        return False
    trim(0)
    return True


def peak_resident_bytes() -> int | None:
    """Peak resident memory (``VmHWM``) of the calling process, bytes; None without /proc.

    Unlike ``getrusage``'s ``ru_maxrss``, it starts anew when a process starts a
    new program, so a worker's figure is its own, not its parent's.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None
