# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""image_pipeline's test_disparity_node.py, for this package's ``disparity_node``.

The same launch description as stereo_image_proc's test (its stereo image fixture, run as a
process, and ``disparity_node`` with the same parameters), and the same wait: a subscriber
of depth 1 gets a DisparityImage within 60 s. Beyond upstream's, the message is checked:
f = 1 and t = 0 from the fixture's P, and the core's disparity of the pair.

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
from stereo_msgs.msg import DisparityImage  # noqa: E402

# launch_test, run without pytest, loads this file without conftest.py: put test/ on sys.path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stereo_image_proc_checks import check_disparity  # noqa: E402

FIXTURE = "stereo_depth_node.testing.stereo_image_proc_fixtures"


@pytest.mark.launch_test
def generate_test_description():
    """The stereo fixture and ``disparity_node``, as stereo_image_proc's test starts them."""
    return launch.LaunchDescription([
        Node(executable=sys.executable, arguments=["-m", FIXTURE, "stereo"], output="screen"),
        Node(
            package="stereo_depth_node", executable="disparity_node", name="disparity_node",
            parameters=[{"qos_overrides": {
                "/left/image_rect_color": {"subscription": {"reliability": "reliable"}},
                "/right/image_rect_color": {"subscription": {"reliability": "reliable"}},
            }}],
            output="screen"),
        ReadyToTest(),
    ])


class TestDisparityNode(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        # test/conftest.py's session may already have initialised rclpy.
        cls.owns_rclpy = not rclpy.ok()
        if cls.owns_rclpy:
            rclpy.init(signal_handler_options=SignalHandlerOptions.NO)
        cls.node = rclpy.create_node("test_disparity_node")

    @classmethod
    def tearDownClass(cls):
        cls.node.destroy_node()
        if cls.owns_rclpy:
            rclpy.try_shutdown()

    def test_message_received(self):
        received = []
        self.node.create_subscription(DisparityImage, "disparity", received.append, 1)
        deadline = time.monotonic() + 60
        while not received and time.monotonic() < deadline:
            rclpy.spin_once(self.node, timeout_sec=0.1)
        self.assertTrue(received, "no disparity within 60 s")
        check_disparity(received[0])


@launch_testing.post_shutdown_test()
class TestDisparityNodeShutdown(unittest.TestCase):

    def test_exit_codes(self, proc_info):
        assertExitCodes(proc_info)
