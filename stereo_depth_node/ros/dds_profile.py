# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The Fast DDS profiles the package ships, and the variable Fast DDS reads a profile from.

``fastdds_large_messages.xml``: a 64 MiB shared-memory segment for large messages
between processes of one Fast DDS major version, UDPv4 for other machines.
``fastdds_udp_only.xml``: UDPv4 only, for hosts that mix Fast DDS 2 (Jazzy and
before) and Fast DDS 3 (Kilted on) processes, which cannot share memory.

The node gives its own process the first profile unless the environment chose
Fast DDS's settings already (:func:`use_package_profile`): a writer's shared-memory
segment is its own process's, so that is what lets every subscriber, with a
profile or without, receive the node's multi-megabyte outputs whole.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from stereo_depth_node.ros.config_files import config_file
from stereo_depth_node.ros.distribution import fast_dds_major_version

FASTDDS_PROFILE = "fastdds_large_messages.xml"
FASTDDS_MIXED_HOST_PROFILE = "fastdds_udp_only.xml"
FAST_DDS_3_PROFILE_VARIABLE = "FASTDDS_DEFAULT_PROFILES_FILE"
FAST_DDS_2_PROFILE_VARIABLE = "FASTRTPS_DEFAULT_PROFILES_FILE"
# Variables and files by which a user chooses Fast DDS's settings: any of them present, the
# node leaves its participant to them.
FAST_DDS_SETTINGS_VARIABLES = (FAST_DDS_3_PROFILE_VARIABLE, FAST_DDS_2_PROFILE_VARIABLE,
                               "FASTDDS_BUILTIN_TRANSPORTS")
FAST_DDS_SETTINGS_FILES = ("DEFAULT_FASTDDS_PROFILES.xml", "DEFAULT_FASTRTPS_PROFILES.xml")


def fastdds_profile_variable(major_version: int | None = None) -> str:
    """The environment variable Fast DDS reads its XML profiles file from.

    Fast DDS 2 reads only ``FASTRTPS_DEFAULT_PROFILES_FILE``; Fast DDS 3 reads
    ``FASTDDS_DEFAULT_PROFILES_FILE`` and warns about the old name.
    ``major_version`` defaults to the Fast DDS this interpreter loads
    (:func:`~stereo_depth_node.ros.distribution.fast_dds_major_version`).
    """
    major = fast_dds_major_version() if major_version is None else major_version
    return FAST_DDS_2_PROFILE_VARIABLE if major == 2 else FAST_DDS_3_PROFILE_VARIABLE


def use_package_profile(environ: MutableMapping[str, str] | None = None,
                        working_directory: Path | None = None) -> str | None:
    """Give this process's Fast DDS the package's large-message profile, unless settings exist.

    Leaves the environment alone when the middleware is not Fast DDS
    (``RMW_IMPLEMENTATION``), when any of :data:`FAST_DDS_SETTINGS_VARIABLES` is
    set (even empty: ``FASTDDS_DEFAULT_PROFILES_FILE=`` asks for Fast DDS's own
    defaults) or a default profiles file lies in the working directory. Must run
    before ``rclpy.init()``.

    Returns
    -------
    str or None
        The variable set to the profile's path; None when the environment was left alone.
    """
    environ = os.environ if environ is None else environ
    folder = Path.cwd() if working_directory is None else working_directory
    if not environ.get("RMW_IMPLEMENTATION", "rmw_fastrtps_cpp").startswith("rmw_fastrtps"):
        return None
    if any(name in environ for name in FAST_DDS_SETTINGS_VARIABLES) or \
            any((folder / name).is_file() for name in FAST_DDS_SETTINGS_FILES):
        return None
    variable = fastdds_profile_variable()
    environ[variable] = str(config_file(FASTDDS_PROFILE))
    return variable
