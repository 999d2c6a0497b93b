# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""What this package's nodes must publish for stereo_image_proc's launch-test fixtures.

Shared by the launch tests (``test_launch_disparity_node.py``,
``test_launch_point_cloud_node.py``) and by ``test_stereo_image_proc_fixtures.py``, which
runs the same processes without launch_testing. The fixtures are
:mod:`stereo_depth_node.testing.stereo_image_proc_fixtures`.
"""

import functools

import numpy as np
from rclpy.qos import QoSProfile, ReliabilityPolicy

from stereo_depth_node.core.parameters import MatcherParams, NodeSettings
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.ros.messages import (
    INPUT_TOPICS,
    array_from_image,
    cloud_array,
    output_messages,
    points_from_cloud_message,
)
from stereo_depth_node.testing.stereo_image_proc_fixtures import fixture_images, stereo_fixture
from stereo_depth_node.testing.stream_client import spin_until

HEIGHT, WIDTH = 500, 741  # the Motorcycle pair
CLOUD_FIELDS = {  # point_step: (name, offset) of each field, stereo_image_proc's layouts
    32: [("x", 0), ("y", 4), ("z", 8), ("rgb", 16)],
    16: [("x", 0), ("y", 4), ("z", 8)],
}


@functools.cache
def expected_disparity():
    """The core's disparity of the ``stereo`` fixture's pair, as the node reads its messages."""
    messages = stereo_fixture()
    inputs = [messages[topic] for topic in INPUT_TOPICS]
    disparity = output_messages(StereoProcessor(MatcherParams()), *inputs, ["disparity"],
                                NodeSettings())["disparity"]
    return array_from_image(disparity.image)


def check_disparity(message):
    """A DisparityImage of the ``stereo`` fixture: the core's values, f = 1, t = 0."""
    assert message.header.stamp.sec > 0 and message.header.frame_id == ""
    assert (message.f, message.t) == (1.0, 0.0)  # P[0,0] = 1, P[0,3] = 0: t as computed
    assert (message.min_disparity, message.max_disparity, message.delta_d) == \
        (0.0, 63.0, 1 / 16)  # stereo_image_proc's defaults: min 0, range 64
    assert (message.image.encoding, message.image.height, message.image.width) == \
        ("32FC1", HEIGHT, WIDTH)
    disparity = array_from_image(message.image)
    np.testing.assert_array_equal(disparity, expected_disparity())
    assert 0.3 < np.mean(disparity >= 0) < 1.0  # matched pixels, and invalid ones (-1)


def check_cloud(message, point_step):
    """A PointCloud2 of the ``disparity`` fixture: NaN points (no calibration), its colours."""
    assert message.header.stamp.sec > 0 and message.header.frame_id == ""
    assert (message.height, message.width, message.point_step, message.row_step) == \
        (HEIGHT, WIDTH, point_step, point_step * WIDTH)
    assert [(f.name, f.offset, f.datatype, f.count) for f in message.fields] == \
        [(name, offset, 7, 1) for name, offset in CLOUD_FIELDS[point_step]]  # 7: FLOAT32
    assert not message.is_dense
    values = cloud_array(message)
    assert all(np.isnan(values[name]).all() for name in ("x", "y", "z"))
    _, rgb = points_from_cloud_message(message)
    if point_step == 32:
        left_bgr = fixture_images()[0]
        np.testing.assert_array_equal(rgb, left_bgr[:, :, ::-1])
    else:
        assert rgb is None


def first_messages(node, topics, timeout=60.0):
    """The first message on each of ``topics`` ({name: type}), as image_pipeline's tests wait."""
    received = {topic: [] for topic in topics}
    reliable = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
    subscriptions = [node.create_subscription(msg_type, topic, received[topic].append, reliable)
                     for topic, msg_type in topics.items()]
    spin_until(node, lambda: all(received.values()), timeout)
    for subscription in subscriptions:
        node.destroy_subscription(subscription)
    return {topic: messages[0] if messages else None for topic, messages in received.items()}
