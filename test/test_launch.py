# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The installed launch file, run by launch_testing: namespace, remappings, parameters, outputs.

Needs a ROS 2 installation with launch_testing and this package built and installed in a
sourced workspace: ``colcon test --packages-select stereo_depth_node`` (or
``launch_test test/test_launch.py``). Without launch_testing the module is skipped; the node
itself is covered by ``test/test_node.py`` either way.
"""

import os
import sys
import unittest

import numpy as np
import pytest

# Marked before the skip below, for pytest runs where launch_testing is installed (conftest.py
# marks the launch test's items too: launch_testing collects this file as a plain File).
pytestmark = pytest.mark.ros

# launch_test, run without pytest, loads this file without conftest.py: put test/ on sys.path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from launch_support import LaunchedNodesTest, require_launch  # noqa: E402

launch_testing, launch = require_launch("the same behaviour is covered by test/test_node.py")

from ament_index_python.packages import get_package_share_directory  # noqa: E402
from launch.actions import IncludeLaunchDescription, UnsetEnvironmentVariable  # noqa: E402
from launch.launch_description_sources import PythonLaunchDescriptionSource  # noqa: E402
from launch_testing.actions import ReadyToTest  # noqa: E402
from launch_testing.asserts import assertExitCodes  # noqa: E402

from stereo_depth_node.ros.dds_profile import (  # noqa: E402
    FAST_DDS_2_PROFILE_VARIABLE,
    FAST_DDS_3_PROFILE_VARIABLE,
    fastdds_profile_variable,
)
from stereo_depth_node.ros.messages import (  # noqa: E402
    array_from_image,
    cloud_array,
    disparity_from_message,
    header_at,
)
from stereo_depth_node.testing.stream_client import StereoStreamClient  # noqa: E402

from helpers import (  # noqa: E402
    BOX,
    IN_BACKGROUND,
    IN_BOX,
    SECOND,
    make_box_scene,
    publish_frame,
)

PACKAGE = "stereo_depth_node"
NAMESPACE = "launch_test"  # given to the launch file relative; the node resolves it to /launch_test
STAMP = 1_700_000_000 * SECOND + 123_456_789
OUTPUTS = ("disparity", "depth", "points2")
INPUTS = ("left/image_rect", "left/camera_info", "right/image_rect", "right/camera_info")
PROFILE_VARIABLES = (FAST_DDS_3_PROFILE_VARIABLE, FAST_DDS_2_PROFILE_VARIABLE)

# The shared box scene: a 20 px box in front of a 10 px background; f = 400 px and T = 0.1 m
# (layered_scene's) put the box at 2 m.
FOCAL_PX = 400.0
BASELINE_M = 0.1
BACKGROUND_DISPARITY = 10
DISPARITY_STEP = 1 / 16  # the DisparityImage's delta_d: sub-pixel resolution


def share_file(*parts):
    """A file of the installed package's share directory."""
    return os.path.join(get_package_share_directory(PACKAGE), *parts)


@pytest.mark.launch_test
def generate_test_description():
    """The package's launch file, included as a user would, with a namespace.

    Both names of Fast DDS's profile variable are removed first (other tests of the same
    session may have set one in this process), so the node gets a profile only from the
    launch file.
    """
    return launch.LaunchDescription([
        *(UnsetEnvironmentVariable(name) for name in PROFILE_VARIABLES),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(share_file("launch", "stereo_depth.launch.py")),
            launch_arguments={"namespace": NAMESPACE}.items()),
        ReadyToTest(),
    ])


class TestLaunchedNode(LaunchedNodesTest):
    """Stream one synthetic stereo frame into the launched node and check its three outputs."""

    @classmethod
    def make_node(cls):
        return StereoStreamClient(OUTPUTS, namespace="/" + NAMESPACE, name="launch_test_client")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.scene, cls.client = make_box_scene(), cls.node
        scene, client = cls.scene, cls.client
        cls.connected = client.spin_until(client.connected, 60.0)
        cls.answered = cls.connected and client.prime(scene, timeout=60.0)
        if cls.answered:
            publish_frame(client, scene, STAMP)
            client.spin_until(lambda: all(STAMP in client.received.messages.get(topic, {})
                                          for topic in OUTPUTS), 20.0)
        cls.outputs = {topic: client.received.messages.get(topic, {}).get(STAMP)
                       for topic in OUTPUTS}

    def assert_connected(self):
        self.assertTrue(self.connected, "the launched node's topics never matched the client's "
                        f"in /{NAMESPACE}: wrong namespace or remappings?")

    def output(self, topic):
        self.assert_connected()
        self.assertTrue(self.answered, "the launched node never answered a frame")
        message = self.outputs[topic]
        self.assertIsNotNone(message, f"no {topic} for the frame stamped {STAMP}")
        return message

    def assert_left_camera_header(self, header):
        # the left camera_info's header: its stamp and its optical frame
        self.assertEqual(header, header_at(STAMP, self.scene.left_calibration.frame_id))
        self.assertEqual((header.stamp.sec, header.stamp.nanosec, header.frame_id),
                         (1_700_000_000, 123_456_789, "left_camera_optical_frame"))

    def test_node_runs_in_the_namespace_with_its_inputs_remapped(self):
        self.assert_connected()
        self.assertIn((PACKAGE, f"/{NAMESPACE}"), self.client.get_node_names_and_namespaces())
        for topic in INPUTS:
            subscribers = self.client.get_subscriptions_info_by_topic(f"/{NAMESPACE}/{topic}")
            self.assertIn((PACKAGE, f"/{NAMESPACE}"),
                          [(s.node_name, s.node_namespace) for s in subscribers], topic)
        for topic in OUTPUTS:
            publishers = self.client.get_publishers_info_by_topic(f"/{NAMESPACE}/{topic}")
            self.assertEqual([(p.node_name, p.node_namespace) for p in publishers],
                             [(PACKAGE, f"/{NAMESPACE}")], topic)

    def test_disparity(self):
        message = self.output("disparity")
        self.assert_left_camera_header(message.header)
        self.assertEqual(message.f, FOCAL_PX)
        self.assertAlmostEqual(message.t, BASELINE_M, places=6)  # float32 fields
        self.assertEqual(message.delta_d, DISPARITY_STEP)
        # stereo_depth.yaml: min_disparity 0, disparity_range 64
        self.assertEqual((message.min_disparity, message.max_disparity), (0.0, 63.0))
        self.assertEqual(message.image.encoding, "32FC1")
        self.assertEqual((message.image.height, message.image.width), (240, 320))
        disparity = disparity_from_message(message)
        box = disparity[IN_BOX]
        self.assertGreater(np.isfinite(box).mean(), 0.9)
        self.assertLessEqual(abs(np.nanmedian(box) - BOX.disparity), DISPARITY_STEP)
        self.assertLessEqual(abs(np.nanmedian(disparity[IN_BACKGROUND]) - BACKGROUND_DISPARITY),
                             DISPARITY_STEP)

    def test_depth_is_f_t_over_d(self):
        depth_message = self.output("depth")
        disparity = disparity_from_message(self.output("disparity"))
        self.assert_left_camera_header(depth_message.header)
        self.assertEqual(depth_message.encoding, "32FC1")
        self.assertEqual((depth_message.height, depth_message.width), (240, 320))
        depth = array_from_image(depth_message)
        known = np.isfinite(disparity) & (disparity > 0)
        self.assertGreater(known.mean(), 0.5)
        np.testing.assert_allclose(depth[known], FOCAL_PX * BASELINE_M / disparity[known],
                                   rtol=1e-5)
        self.assertTrue(np.isnan(depth[~known]).all())
        # the box is f T / 20 px = 2 m away, to within the depth of one disparity step
        step_m = FOCAL_PX * BASELINE_M / (BOX.disparity - DISPARITY_STEP) - 2.0
        self.assertLessEqual(abs(np.nanmedian(depth[IN_BOX]) - 2.0), step_m)

    def test_points2_layout_and_values(self):
        message = self.output("points2")
        self.assert_left_camera_header(message.header)
        self.assertEqual((message.height, message.width), (240, 320))
        self.assertEqual(message.point_step, 32)
        self.assertEqual(message.row_step, 32 * 320)
        self.assertEqual([(f.name, f.offset, f.datatype, f.count) for f in message.fields],
                         [("x", 0, 7, 1), ("y", 4, 7, 1), ("z", 8, 7, 1), ("rgb", 16, 7, 1)])
        self.assertFalse(message.is_bigendian)
        self.assertFalse(message.is_dense)
        cloud = cloud_array(message)
        depth = array_from_image(self.output("depth"))
        np.testing.assert_array_equal(cloud["z"], depth)
        v, u = 120, 160  # in the box; cx = 159.5, cy = 119.5
        self.assertTrue(np.isfinite(depth[v, u]))
        self.assertAlmostEqual(float(cloud["x"][v, u]), (u - 159.5) * depth[v, u] / FOCAL_PX,
                               places=5)
        self.assertAlmostEqual(float(cloud["y"][v, u]), (v - 119.5) * depth[v, u] / FOCAL_PX,
                               places=5)


@launch_testing.post_shutdown_test()
class TestLaunchedNodeShutdown(unittest.TestCase):
    """After launch has stopped the node: a clean exit, and what the launch file gave it."""

    def test_exit_codes(self, proc_info):
        assertExitCodes(proc_info)

    def test_command_line_and_environment(self, proc_info):
        processes = [proc_info[action] for action in proc_info.processes()]
        self.assertEqual(len(processes), 1, [p.name for p in processes])
        node = processes[0]
        command = list(node.cmd)
        self.assertIn("__node:=stereo_depth_node", command)
        self.assertIn(f"__ns:=/{NAMESPACE}", command)
        params_file = command[command.index("--params-file") + 1]
        self.assertEqual(os.path.realpath(params_file),
                         os.path.realpath(share_file("config", "stereo_depth.yaml")))
        for topic in INPUTS:  # the defaults: left_namespace 'left', right_namespace 'right'
            self.assertIn(f"{topic}:={topic}", command)
        variable = fastdds_profile_variable()  # the one this distribution's Fast DDS reads
        profile = node.env.get(variable)
        self.assertIsNotNone(profile, f"the launch file did not set {variable}")
        other, = set(PROFILE_VARIABLES) - {variable}
        self.assertNotIn(other, node.env)
        self.assertEqual(os.path.realpath(profile),
                         os.path.realpath(share_file("config", "fastdds_large_messages.xml")))
