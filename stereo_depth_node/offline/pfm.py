# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Portable float maps (PFM), the Middlebury format for disparity and depth."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_pfm(path: str | Path, image: np.ndarray) -> None:
    """Write a one-channel float32 image.

    Parameters
    ----------
    path : str or Path
        Output file.
    image : numpy.ndarray
        Shape ``(H, W)``, float; stored as little-endian float32 (scale ``-1``),
        rows bottom to top as the format requires. Infinity and NaN are kept.
    """
    if image.ndim != 2:
        raise ValueError(f"a PFM here holds one channel, got shape {image.shape}")
    height, width = image.shape
    with open(path, "wb") as stream:
        stream.write(f"Pf\n{width} {height}\n-1\n".encode("ascii"))
        stream.write(np.ascontiguousarray(image[::-1], dtype="<f4").tobytes())


def read_pfm(path: str | Path) -> np.ndarray:
    """Read a one-channel PFM as float32 ``(H, W)``, top row first."""
    with open(path, "rb") as stream:
        header = stream.readline().strip()
        if header != b"Pf":
            raise ValueError(f"{path}: not a one-channel PFM (header {header!r})")
        width, height = (int(v) for v in stream.readline().split())
        scale = float(stream.readline())
        data = np.frombuffer(stream.read(), dtype="<f4" if scale < 0 else ">f4")
    if data.size != width * height:
        raise ValueError(f"{path}: {data.size} values for {width}x{height} pixels")
    return data.reshape(height, width)[::-1].astype(np.float32)
