# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""What depends on the ROS distribution follows the libraries this interpreter loads."""

import importlib.metadata
import re
from pathlib import Path

import pytest
import rclpy
from rosbags.typesys import Stores

from stereo_depth_node.ros import bag_io
from stereo_depth_node.ros.dds_profile import (
    FAST_DDS_2_PROFILE_VARIABLE,
    FAST_DDS_3_PROFILE_VARIABLE,
    fastdds_profile_variable,
)
from stereo_depth_node.ros.distribution import fast_dds_major_version, ros_distro

pytestmark = pytest.mark.ros


def loaded_fast_dds_major():
    """The major version of the Fast DDS library mapped into this process (a node exists)."""
    maps = Path("/proc/self/maps").read_text()
    found = set(re.findall(r"lib(fastdds|fastrtps)\.so\.(\d+)", maps))
    assert len(found) == 1, found
    name, major = found.pop()
    assert (name, major) in {("fastdds", "3"), ("fastrtps", "2")}
    return int(major)


@pytest.fixture(scope="module")
def loaded_major(ros_env):
    node = rclpy.create_node("distribution_probe")
    yield loaded_fast_dds_major()
    node.destroy_node()


def test_profile_variable_is_the_one_the_loaded_fast_dds_reads(loaded_major, monkeypatch):
    expected = {2: FAST_DDS_2_PROFILE_VARIABLE, 3: FAST_DDS_3_PROFILE_VARIABLE}[loaded_major]
    assert fast_dds_major_version() == loaded_major
    assert fastdds_profile_variable() == expected
    # A distribution variable from another installation (a sourced shell) does not change it.
    for distro in ("jazzy", "kilted", ""):
        monkeypatch.setenv("ROS_DISTRO", distro)
        assert fastdds_profile_variable() == expected


def test_distribution_follows_rclpy_and_its_fast_dds(loaded_major, monkeypatch):
    monkeypatch.setenv("ROS_DISTRO", "humble")  # ignored: rclpy's version tells
    major = int(importlib.metadata.version("rclpy").split(".")[0])
    assert ros_distro() == {7: "jazzy", 9: "kilted"}[major]
    assert (ros_distro() == "jazzy") == (loaded_major == 2)


def test_bags_are_written_with_the_loaded_distributions_definitions(loaded_major):
    expected = Stores.ROS2_JAZZY if loaded_major == 2 else Stores.ROS2_KILTED
    assert bag_io.BAG_TYPESTORE == expected


def test_the_node_gives_itself_the_package_profile_only_where_nothing_is_chosen(tmp_path):
    from stereo_depth_node.ros.config_files import config_file
    from stereo_depth_node.ros.dds_profile import FASTDDS_PROFILE, use_package_profile

    variable = fastdds_profile_variable()
    environ = {"ROS_DOMAIN_ID": "3"}
    assert use_package_profile(environ, tmp_path) == variable
    assert environ == {"ROS_DOMAIN_ID": "3", variable: str(config_file(FASTDDS_PROFILE))}
    for chosen in ({FAST_DDS_3_PROFILE_VARIABLE: "/mine.xml"},
                   {FAST_DDS_2_PROFILE_VARIABLE: ""},  # empty: Fast DDS's own defaults
                   {"FASTDDS_BUILTIN_TRANSPORTS": "LARGE_DATA"},
                   {"RMW_IMPLEMENTATION": "rmw_cyclonedds_cpp"}):
        environ = dict(chosen)
        assert use_package_profile(environ, tmp_path) is None and environ == chosen
    assert use_package_profile({"RMW_IMPLEMENTATION": "rmw_fastrtps_dynamic_cpp"},
                               tmp_path) == variable
    (tmp_path / "DEFAULT_FASTDDS_PROFILES.xml").write_text("<profiles/>")
    environ = {}
    assert use_package_profile(environ, tmp_path) is None and environ == {}
