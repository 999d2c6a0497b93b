# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""image_pipeline's test_point_cloud_node.py, for this package's ``point_cloud_node``.

The same launch description as stereo_image_proc's test (its disparity image fixture, run as
a process, and two ``point_cloud_node``: with colour, and without it remapped to
``/xyz/points2``), and the same expectations: a cloud on each within 60 s, with a
point_step of 32 and 16. Beyond upstream's, each cloud is checked: fields and offsets, NaN
points (the fixture's camera_infos are all zero), and the left image's colours.

Needs a ROS 2 installation with launch_testing and this package built in a sourced
workspace (``colcon test --packages-select stereo_depth_node``). Without launch_testing the
module is skipped; ``test_stereo_image_proc_fixtures.py`` runs the same processes either way.
"""

import os
import sys
import time
import unittest

import pytest

# Marked before the skips, for runs where launch_testing is installed (conftest.py marks the
# launch test's items too: launch_testing collects this file as a plain File).
pytestmark = pytest.mark.ros

# launch_testing first: without ROS, "import launch" run from the repository's root finds the
# package's own launch/ directory (a namespace package) and would not skip.
launch_testing = pytest.importorskip(
    "launch_testing",
    reason="launch_testing is not installed: it comes with a ROS 2 installation (colcon test); "
           "test/test_stereo_image_proc_fixtures.py runs the same processes")
pytest.importorskip(
    "launch_ros",
    reason="launch_ros is not installed: it comes with a ROS 2 installation (colcon test)")
launch = pytest.importorskip(
    "launch", reason="launch is not installed: it comes with a ROS 2 installation (colcon test)")

# Before rclpy starts, here and in the launched processes: a domain of its own, on 127.0.0.1.
os.environ["ROS_DOMAIN_ID"] = str(80 + os.getpid() % 10)
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"

import rclpy  # noqa: E402
from launch_ros.actions import Node  # noqa: E402
from launch_testing.actions import ReadyToTest  # noqa: E402
from launch_testing.asserts import assertExitCodes  # noqa: E402
from rclpy.signals import SignalHandlerOptions  # noqa: E402
from sensor_msgs.msg import PointCloud2  # noqa: E402

# launch_test, run without pytest, loads this file without conftest.py: put test/ on sys.path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stereo_image_proc_checks import check_cloud  # noqa: E402

FIXTURE = "stereo_depth_node.testing.stereo_image_proc_fixtures"
RELIABLE_COLOUR = {"qos_overrides": {
    "/left/image_rect_color": {"subscription": {"reliability": "reliable"}}}}


@pytest.mark.launch_test
def generate_test_description():
    """The disparity fixture and two ``point_cloud_node``, as stereo_image_proc's test."""
    return launch.LaunchDescription([
        Node(executable=sys.executable, arguments=["-m", FIXTURE, "disparity"], output="screen"),
        Node(
            package="stereo_depth_node", executable="point_cloud_node", name="point_cloud_node",
            output="screen", parameters=[{"use_color": True, **RELIABLE_COLOUR}]),
        Node(
            package="stereo_depth_node", executable="point_cloud_node",
            name="point_cloud_node_xyz", output="screen",
            parameters=[{"use_color": False, **RELIABLE_COLOUR}],
            remappings=[("/points2", "/xyz/points2")]),
        ReadyToTest(),
    ])


class TestPointCloudNode(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        # test/conftest.py's session may already have initialised rclpy.
        cls.owns_rclpy = not rclpy.ok()
        if cls.owns_rclpy:
            rclpy.init(signal_handler_options=SignalHandlerOptions.NO)
        cls.node = rclpy.create_node("test_point_cloud_node")

    @classmethod
    def tearDownClass(cls):
        cls.node.destroy_node()
        if cls.owns_rclpy:
            rclpy.try_shutdown()

    def test_message_received(self):
        received = {"points2": [], "/xyz/points2": []}
        for topic, messages in received.items():
            self.node.create_subscription(PointCloud2, topic, messages.append, 1)
        deadline = time.monotonic() + 60
        while not all(received.values()) and time.monotonic() < deadline:
            rclpy.spin_once(self.node, timeout_sec=0.1)
        for topic, messages in received.items():
            self.assertTrue(messages, f"no {topic} within 60 s")
        check_cloud(received["points2"][0], point_step=32)
        check_cloud(received["/xyz/points2"][0], point_step=16)


@launch_testing.post_shutdown_test()
class TestPointCloudNodeShutdown(unittest.TestCase):

    def test_exit_codes(self, proc_info):
        assertExitCodes(proc_info)
