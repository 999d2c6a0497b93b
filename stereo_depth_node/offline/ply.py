"""Binary little-endian PLY point clouds (MeshLab, Open3D, CloudCompare read them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

_VERTEX = np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4"),
                    ("red", "u1"), ("green", "u1"), ("blue", "u1")])


def write_ply(path: str | Path, points: np.ndarray, rgb: np.ndarray) -> int:
    """Write the finite points of a cloud with their colours.

    Parameters
    ----------
    path : str or Path
        Output file.
    points : numpy.ndarray
        Shape ``(..., 3)``, float, metres; points with any non-finite coordinate are skipped.
    rgb : numpy.ndarray
        Shape ``(..., 3)``, uint8 R, G, B, same leading shape as ``points``.

    Returns
    -------
    int
        Number of points written.
    """
    xyz = points.reshape(-1, 3)
    colours = rgb.reshape(-1, 3)
    if len(xyz) != len(colours):
        raise ValueError(f"{len(xyz)} points but {len(colours)} colours")
    keep = np.all(np.isfinite(xyz), axis=1)
    vertices = np.empty(int(keep.sum()), dtype=_VERTEX)
    for axis, name in enumerate("xyz"):
        vertices[name] = xyz[keep, axis]
    for channel, name in enumerate(("red", "green", "blue")):
        vertices[name] = colours[keep, channel]
    header = ("ply\nformat binary_little_endian 1.0\n"
              f"element vertex {len(vertices)}\n"
              "property float x\nproperty float y\nproperty float z\n"
              "property uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n")
    with open(path, "wb") as stream:
        stream.write(header.encode("ascii"))
        stream.write(vertices.tobytes())
    return len(vertices)
