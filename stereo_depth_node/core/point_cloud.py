# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Organized ``sensor_msgs/PointCloud2`` layouts and packing, ROS-free.

The four layouts are those of ``stereo_image_proc``'s point cloud node:

============  ==================  ==========  ==============================
``use_color``  ``avoid_padding``  point_step  fields (offset)
============  ==================  ==========  ==============================
true          false               32          x 0, y 4, z 8, rgb 16
true          true                16          x 0, y 4, z 8, rgb 12
false         false               16          x 0, y 4, z 8
false         true                12          x 0, y 4, z 8
============  ==================  ==========  ==============================

All fields are FLOAT32 (datatype 7, count 1). ``rgb`` holds the bits of the
uint32 ``0x00RRGGBB`` reinterpreted as float32 (the PCL convention), so its
bytes in little-endian order are B, G, R, 0.
"""

from __future__ import annotations

import array
from typing import NamedTuple

import numpy as np

FLOAT32 = 7  # sensor_msgs/PointField.FLOAT32


class CloudLayout(NamedTuple):
    """Byte layout of one point: ``(name, offset)`` pairs and the point size in bytes."""

    fields: tuple[tuple[str, int], ...]
    point_step: int

    @property
    def has_color(self) -> bool:
        """Whether the layout has an ``rgb`` field."""
        return any(name == "rgb" for name, _ in self.fields)

    def dtype(self) -> np.dtype:
        """NumPy structured dtype of one point (little-endian, padding included)."""
        return np.dtype({"names": [name for name, _ in self.fields],
                         "formats": ["<f4"] * len(self.fields),
                         "offsets": [offset for _, offset in self.fields],
                         "itemsize": self.point_step})


def cloud_layout(use_color: bool, avoid_padding: bool) -> CloudLayout:
    """The layout ``stereo_image_proc`` uses for these two parameters."""
    xyz = (("x", 0), ("y", 4), ("z", 8))
    if use_color:
        return CloudLayout(xyz + (("rgb", 12),), 16) if avoid_padding else \
            CloudLayout(xyz + (("rgb", 16),), 32)
    return CloudLayout(xyz, 12) if avoid_padding else CloudLayout(xyz, 16)


def pack_rgb(rgb: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Pack colours as PCL ``rgb`` floats.

    Parameters
    ----------
    rgb : numpy.ndarray
        Shape ``(H, W, 3)``, uint8, channels R, G, B.
    out : numpy.ndarray, optional
        Shape ``(H, W)``, float32, possibly strided (a cloud's ``rgb`` field):
        written in place instead of a new array.

    Returns
    -------
    numpy.ndarray
        Shape ``(H, W)``, float32 whose bits are ``0x00RRGGBB`` (``out`` if given).
    """
    if out is None:
        out = np.empty(rgb.shape[:2], dtype=np.float32)
    bits = out.view(np.uint32)
    if rgb.strides[2] == 0:  # one grey channel seen three times (to_rgb8 of a grey image)
        np.multiply(rgb[:, :, 0], np.uint32(0x010101), out=bits, dtype=np.uint32)
        return out
    np.left_shift(rgb[:, :, 0], 16, out=bits, dtype=np.uint32)
    bits |= np.left_shift(rgb[:, :, 1], 8, dtype=np.uint32)
    bits |= rgb[:, :, 2]
    return out


def cloud_view(data: bytes | bytearray | array.array[int], layout: CloudLayout, height: int,
               width: int) -> np.ndarray:
    """View ``PointCloud2.data`` (any buffer) as a structured array of shape ``(height, width)``.

    Field names are the layout's (``x``, ``y``, ``z`` and possibly ``rgb``),
    float32; nothing is copied. The view is writable when the buffer is (an
    ``array.array`` or ``bytearray``), so a cloud can be written in place.
    """
    expected = height * width * layout.point_step
    size = memoryview(data).nbytes
    if size != expected:
        raise ValueError(f"cloud data has {size} bytes, expected {expected}")
    return np.frombuffer(data, dtype=layout.dtype()).reshape(height, width)


def valid_points(cloud: np.ndarray) -> np.ndarray:
    """The records of an organized cloud whose point is known (finite ``z``), row by row.

    Parameters
    ----------
    cloud : numpy.ndarray
        Structured, shape ``(H, W)`` (see :func:`cloud_view`).

    Returns
    -------
    numpy.ndarray
        Structured, shape ``(N,)``, a new contiguous array of the same dtype.
    """
    valid: np.ndarray = cloud[np.isfinite(cloud["z"])]
    return valid


def unpack_rgb(rgb: np.ndarray) -> np.ndarray:
    """Inverse of :func:`pack_rgb`: float32 ``(...)`` → uint8 ``(..., 3)`` R, G, B."""
    bits = np.ascontiguousarray(rgb, dtype=np.float32).view(np.uint32)
    channels = [(bits >> shift) & 0xFF for shift in (16, 8, 0)]
    return np.stack(channels, axis=-1).astype(np.uint8)
