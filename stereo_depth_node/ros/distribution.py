# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Which ROS 2 distribution's libraries this interpreter loads, and what follows from that.

The PyPI wheels set no ``ROS_DISTRO``, and a shell may have sourced one
distribution while a virtual environment loads another, so the answer comes
from the installed packages first: rclpy's major version names the
distribution, the Fast DDS wheel its major version. ``ROS_DISTRO`` is used only
where the packages say nothing.
"""

from __future__ import annotations

import importlib.metadata
import os

# rclpy's major version in each distribution (Humble 3.3, Iron 4.1, Jazzy 7.1, Kilted 9.x).
RCLPY_MAJOR_VERSIONS = {3: "humble", 4: "iron", 7: "jazzy", 9: "kilted"}
# Distributions on Fast DDS 2 (fastrtps); Kilted and later use Fast DDS 3.
FAST_DDS_2_DISTROS = frozenset({"humble", "iron", "jazzy"})
# The Fast DDS wheels and the major version each provides.
FAST_DDS_WHEELS = (("ros-fastdds", 3), ("ros-fastrtps", 2))


def _installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def ros_distro() -> str | None:
    """The distribution whose rclpy this interpreter imports, e.g. ``"jazzy"``.

    From rclpy's installed version; else ``$ROS_DISTRO`` (lower case); None
    when neither tells.
    """
    version = _installed_version("rclpy")
    if version is not None:
        distro = RCLPY_MAJOR_VERSIONS.get(int(version.split(".")[0]))
        if distro is not None:
            return distro
    return os.environ.get("ROS_DISTRO", "").lower() or None


def fast_dds_major_version() -> int:
    """The major version of the Fast DDS this interpreter's ROS loads: 2 or 3.

    From the installed Fast DDS wheel; else from the distribution (Fast DDS 2
    up to Jazzy); 3, the current one, when nothing tells.
    """
    for wheel, major in FAST_DDS_WHEELS:
        if _installed_version(wheel) is not None:
            return major
    return 2 if ros_distro() in FAST_DDS_2_DISTROS else 3
