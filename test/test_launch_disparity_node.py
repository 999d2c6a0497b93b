# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""image_pipeline's test_disparity_node.py, for this package's ``disparity_node``.

The same launch description as stereo_image_proc's test (its stereo image fixture, run as a
process, and ``disparity_node`` with the same parameters), and the same wait: a subscriber
of depth 1 gets a DisparityImage within 60 s. Beyond upstream's, the message is checked:
f = 1 and t = 0 from the fixture's P, and the core's disparity of the pair.

Run by ``colcon test`` in a workspace with this package built; skipped without
launch_testing, where ``test_stereo_image_proc_fixtures.py`` starts the same disparity
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

import rclpy  # noqa: E402
from launch_testing.asserts import assertExitCodes  # noqa: E402
from stereo_msgs.msg import DisparityImage  # noqa: E402

from stereo_image_proc_checks import check_disparity, first_messages  # noqa: E402

# upstream's test gives these overrides (of topics disparity_node does not take): kept as given
RELIABLE = {"subscription": {"reliability": "reliable"}}


@pytest.mark.launch_test
def generate_test_description():
    """The stereo fixture and ``disparity_node``, as stereo_image_proc's test starts them."""
    return fixture_and_nodes("stereo", {
        "executable": "disparity_node", "name": "disparity_node",
        "parameters": [{"qos_overrides": {"/left/image_rect_color": RELIABLE,
                                          "/right/image_rect_color": RELIABLE}}]})


class TestDisparityNode(LaunchedNodesTest):

    @classmethod
    def make_node(cls):
        return rclpy.create_node("test_disparity_node")

    def test_message_received(self):
        message = first_messages(self.node, {"disparity": DisparityImage})["disparity"]
        self.assertIsNotNone(message, "no disparity within 60 s")
        check_disparity(message)


@launch_testing.post_shutdown_test()
class TestDisparityNodeShutdown(unittest.TestCase):

    def test_exit_codes(self, proc_info):
        assertExitCodes(proc_info)
