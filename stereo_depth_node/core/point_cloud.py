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


def pack_rgb(rgb: np.ndarray) -> np.ndarray:
    """Pack colours as PCL ``rgb`` floats.

    Parameters
    ----------
    rgb : numpy.ndarray
        Shape ``(H, W, 3)``, uint8, channels R, G, B.

    Returns
    -------
    numpy.ndarray
        Shape ``(H, W)``, float32 whose bits are ``0x00RRGGBB``.
    """
    channels = rgb.astype(np.uint32)
    packed = (channels[:, :, 0] << 16) | (channels[:, :, 1] << 8) | channels[:, :, 2]
    return packed.view(np.float32)


def pack_cloud(points: np.ndarray, layout: CloudLayout,
               rgb: np.ndarray | None = None) -> bytes:
    """Serialize an organized cloud into ``PointCloud2.data``.

    Parameters
    ----------
    points : numpy.ndarray
        Shape ``(H, W, 3)``, float32, metres; NaN rows mark invalid points.
    layout : CloudLayout
        From :func:`cloud_layout`.
    rgb : numpy.ndarray, optional
        Shape ``(H, W, 3)``, uint8 R, G, B; required when the layout has colour.

    Returns
    -------
    bytes
        ``H * W * layout.point_step`` bytes, row-major, padding bytes zero.
    """
    height, width = points.shape[:2]
    cloud = np.zeros((height, width), dtype=layout.dtype())
    cloud["x"] = points[:, :, 0]
    cloud["y"] = points[:, :, 1]
    cloud["z"] = points[:, :, 2]
    if layout.has_color:
        if rgb is None or rgb.shape[:2] != (height, width):
            raise ValueError("a colour cloud layout needs an (H, W, 3) rgb image of its size")
        cloud["rgb"] = pack_rgb(rgb)
    return cloud.tobytes()


def unpack_cloud(data: bytes, layout: CloudLayout, height: int, width: int) -> np.ndarray:
    """View ``PointCloud2.data`` as a structured array of shape ``(height, width)``.

    Field names are the layout's (``x``, ``y``, ``z`` and possibly ``rgb``), float32.
    """
    expected = height * width * layout.point_step
    if len(data) != expected:
        raise ValueError(f"cloud data has {len(data)} bytes, expected {expected}")
    return np.frombuffer(data, dtype=layout.dtype()).reshape(height, width)


def unpack_rgb(rgb: np.ndarray) -> np.ndarray:
    """Inverse of :func:`pack_rgb`: float32 ``(...)`` → uint8 ``(..., 3)`` R, G, B."""
    bits = np.ascontiguousarray(rgb, dtype=np.float32).view(np.uint32)
    channels = [(bits >> shift) & 0xFF for shift in (16, 8, 0)]
    return np.stack(channels, axis=-1).astype(np.uint8)
