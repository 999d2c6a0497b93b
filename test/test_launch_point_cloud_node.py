# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""image_pipeline's test_point_cloud_node.py, for this package's ``point_cloud_node``.

The same launch description as stereo_image_proc's test (its disparity image fixture, run as
a process, and two ``point_cloud_node``: with colour, and without it remapped to
``/xyz/points2``), and the same expectations: a cloud on each within 60 s, with a
point_step of 32 and 16. Beyond upstream's, each cloud is checked: fields and offsets, NaN
points (the fixture's camera_infos are all zero), and the left image's colours.

Run by ``colcon test`` in a workspace with this package built; skipped without
launch_testing, where ``test_stereo_image_proc_fixtures.py`` starts the same point cloud
processes by hand.
"""

import os
import sys
import unittest

import pytest

pytestmark = pytest.mark.ros  # before the skip (conftest.py marks launch_testing's items too)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # test/, for launch_test
from launch_support import LaunchedNodesTest, fixture_and_nodes, require_launch  # noqa: E402

launch_testing, _ = require_launch("test/test_stereo_image_proc_fixtures.py runs it here")

from launch_testing.asserts import assertExitCodes  # noqa: E402
from rclpy import create_node  # noqa: E402
from sensor_msgs.msg import PointCloud2  # noqa: E402

from stereo_image_proc_checks import check_cloud, first_messages  # noqa: E402

RELIABLE_COLOUR = {"qos_overrides": {
    "/left/image_rect_color": {"subscription": {"reliability": "reliable"}}}}


@pytest.mark.launch_test
def generate_test_description():
    """The disparity fixture and two ``point_cloud_node``, as stereo_image_proc's test."""
    return fixture_and_nodes(
        "disparity",
        {"executable": "point_cloud_node", "name": "point_cloud_node",
         "parameters": [{"use_color": True, **RELIABLE_COLOUR}]},
        {"executable": "point_cloud_node", "name": "point_cloud_node_xyz",
         "parameters": [{"use_color": False, **RELIABLE_COLOUR}],
         "remappings": [("/points2", "/xyz/points2")]})


class TestPointCloudNode(LaunchedNodesTest):

    @classmethod
    def make_node(cls):
        return create_node("test_point_cloud_node")

    def test_message_received(self):
        clouds = first_messages(self.node, {"points2": PointCloud2,
                                            "/xyz/points2": PointCloud2})
        for topic, message in clouds.items():
            self.assertIsNotNone(message, f"no {topic} within 60 s")
        check_cloud(clouds["points2"], point_step=32)
        check_cloud(clouds["/xyz/points2"], point_step=16)


@launch_testing.post_shutdown_test()
class TestPointCloudNodeShutdown(unittest.TestCase):

    def test_exit_codes(self, proc_info):
        assertExitCodes(proc_info)
