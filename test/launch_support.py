# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""What the launch_testing tests share: their skip, their DDS domain, their ROS node.

Imported by ``test_launch*.py`` both under pytest and under ``launch_test`` (which does
not load conftest.py: each of those files puts test/ on ``sys.path`` first).
"""

import os
import sys
import unittest

import pytest

INSTALLATION = "it comes with a ROS 2 installation (colcon test)"


def require_launch(covered_by):
    """``(launch_testing, launch)``, or skip the calling module saying what covers it here.

    Then sets, before rclpy starts here and in the launched processes, a DDS domain of the
    launch tests' own (80..89; node tests use 20..39, the demo 90..99) on 127.0.0.1.
    """
    # launch_testing first: without ROS, "import launch" run from the repository's root
    # finds the package's own launch/ directory (a namespace package) and would not skip.
    launch_testing = pytest.importorskip(
        "launch_testing", reason=f"launch_testing is not installed: {INSTALLATION}; "
                                 f"{covered_by}")
    pytest.importorskip("launch_ros", reason=f"launch_ros is not installed: {INSTALLATION}")
    launch = pytest.importorskip("launch", reason=f"launch is not installed: {INSTALLATION}")
    os.environ["ROS_DOMAIN_ID"] = str(80 + os.getpid() % 10)
    os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
    return launch_testing, launch


def fixture_and_nodes(fixture, *nodes):
    """A launch description as stereo_image_proc's tests have: a fixture, nodes, ready.

    ``fixture`` names one of :mod:`stereo_depth_node.testing.stereo_image_proc_fixtures`,
    run as a process; each of ``nodes`` is the keyword arguments of one of this package's
    nodes (``executable``, ``name``, ``parameters``, ``remappings``).
    """
    from launch_ros.actions import Node
    from launch_testing.actions import ReadyToTest

    from launch import LaunchDescription

    return LaunchDescription([
        Node(executable=sys.executable, output="screen",
             arguments=["-m", "stereo_depth_node.testing.stereo_image_proc_fixtures", fixture]),
        *(Node(package="stereo_depth_node", output="screen", **node) for node in nodes),
        ReadyToTest(),
    ])


class LaunchedNodesTest(unittest.TestCase):
    """Tests that talk to the launched nodes through ``cls.node``, made by :meth:`make_node`.

    rclpy is started here unless the pytest session has started it already
    (test/conftest.py), and then shut down here too.
    """

    @classmethod
    def make_node(cls):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        import rclpy
        from rclpy.signals import SignalHandlerOptions

        cls.owns_rclpy = not rclpy.ok()
        if cls.owns_rclpy:
            # launch_testing runs these tests in a thread; launch keeps its own signal handling.
            rclpy.init(signal_handler_options=SignalHandlerOptions.NO)
        cls.node = cls.make_node()

    @classmethod
    def tearDownClass(cls):
        import rclpy

        cls.node.destroy_node()
        if cls.owns_rclpy:
            rclpy.try_shutdown()
