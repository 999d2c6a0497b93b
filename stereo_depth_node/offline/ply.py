# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Binary little-endian PLY point clouds (MeshLab, Open3D, CloudCompare read them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

COLOUR_PROPERTIES = ("red", "green", "blue")


def write_ply(path: str | Path, points: np.ndarray, rgb: np.ndarray | None) -> int:
    """Write the finite points of a cloud, with their colours when given.

    Parameters
    ----------
    path : str or Path
        Output file.
    points : numpy.ndarray
        Shape ``(..., 3)``, float, metres; points with any non-finite coordinate are skipped.
    rgb : numpy.ndarray or None
        Shape ``(..., 3)``, uint8 R, G, B, same leading shape as ``points``; None
        writes points without colour properties.

    Returns
    -------
    int
        Number of points written.
    """
    xyz = points.reshape(-1, 3)
    keep = np.all(np.isfinite(xyz), axis=1)
    fields = [(axis, "<f4") for axis in "xyz"]
    if rgb is not None:
        if rgb.reshape(-1, 3).shape[0] != len(xyz):
            raise ValueError(f"{len(xyz)} points but {rgb.reshape(-1, 3).shape[0]} colours")
        fields += [(channel, "u1") for channel in COLOUR_PROPERTIES]
    vertices = np.empty(int(keep.sum()), dtype=fields)
    for axis, name in enumerate("xyz"):
        vertices[name] = xyz[keep, axis]
    if rgb is not None:
        for channel, name in enumerate(COLOUR_PROPERTIES):
            vertices[name] = rgb.reshape(-1, 3)[keep, channel]
    types = {"<f4": "float", "u1": "uchar"}
    header = ("ply\nformat binary_little_endian 1.0\n"
              f"element vertex {len(vertices)}\n"
              + "".join(f"property {types[kind]} {name}\n" for name, kind in fields)
              + "end_header\n")
    with open(path, "wb") as stream:
        stream.write(header.encode("ascii"))
        stream.write(vertices.tobytes())
    return len(vertices)
