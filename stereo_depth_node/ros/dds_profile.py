# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The Fast DDS profiles the package ships, and the variable Fast DDS reads a profile from.

``fastdds_large_messages.xml``: a 64 MiB shared-memory segment for large messages
between processes of one Fast DDS major version, UDPv4 for other machines.
``fastdds_udp_only.xml``: UDPv4 only, for hosts that mix Fast DDS 2 (Jazzy and
before) and Fast DDS 3 (Kilted on) processes, which cannot share memory.
"""

from __future__ import annotations

from stereo_depth_node.ros.distribution import fast_dds_major_version

FASTDDS_PROFILE = "fastdds_large_messages.xml"
FASTDDS_MIXED_HOST_PROFILE = "fastdds_udp_only.xml"
FAST_DDS_3_PROFILE_VARIABLE = "FASTDDS_DEFAULT_PROFILES_FILE"
FAST_DDS_2_PROFILE_VARIABLE = "FASTRTPS_DEFAULT_PROFILES_FILE"


def fastdds_profile_variable(major_version: int | None = None) -> str:
    """The environment variable Fast DDS reads its XML profiles file from.

    Fast DDS 2 reads only ``FASTRTPS_DEFAULT_PROFILES_FILE``; Fast DDS 3 reads
    ``FASTDDS_DEFAULT_PROFILES_FILE`` and warns about the old name.
    ``major_version`` defaults to the Fast DDS this interpreter loads
    (:func:`~stereo_depth_node.ros.distribution.fast_dds_major_version`).
    """
    major = fast_dds_major_version() if major_version is None else major_version
    return FAST_DDS_2_PROFILE_VARIABLE if major == 2 else FAST_DDS_3_PROFILE_VARIABLE
