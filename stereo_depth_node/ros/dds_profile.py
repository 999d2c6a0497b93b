"""The Fast DDS profile for large messages, and the variable Fast DDS reads it from."""

from __future__ import annotations

import os

FASTDDS_PROFILE = "fastdds_large_messages.xml"
FAST_DDS_2_DISTROS = frozenset({"humble", "iron", "jazzy"})
FAST_DDS_3_PROFILE_VARIABLE = "FASTDDS_DEFAULT_PROFILES_FILE"
FAST_DDS_2_PROFILE_VARIABLE = "FASTRTPS_DEFAULT_PROFILES_FILE"


def fastdds_profile_variable(distro: str | None = None) -> str:
    """The environment variable Fast DDS reads its XML profiles file from.

    Fast DDS 2 (ROS 2 Humble, Iron, Jazzy) reads ``FASTRTPS_DEFAULT_PROFILES_FILE``;
    Fast DDS 3 (Kilted and later) reads ``FASTDDS_DEFAULT_PROFILES_FILE`` and
    warns about the old name. ``distro`` defaults to ``$ROS_DISTRO`` (unset for
    the PyPI installation, which is Kilted).
    """
    distro = os.environ.get("ROS_DISTRO", "") if distro is None else distro
    if distro.lower() in FAST_DDS_2_DISTROS:
        return FAST_DDS_2_PROFILE_VARIABLE
    return FAST_DDS_3_PROFILE_VARIABLE
