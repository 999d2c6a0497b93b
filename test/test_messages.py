# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Output messages built from a processed frame, without a ROS graph."""

import numpy as np
import pytest
from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import Image, PointCloud2

from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.core.point_cloud import cloud_layout
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.ros.messages import (
    CloudBuffer,
    array_from_image,
    cloud_array,
    cloud_message,
    frame_messages,
    header_at,
    image_message,
    output_messages,
    points_from_cloud_message,
    process_inputs,
)
from stereo_depth_node.testing.frames import stereo_input_messages

from helpers import IN_BOX, SECOND

OUTPUTS = ("disparity", "depth", "points2", "confidence")


@pytest.fixture(scope="module")
def frames(box_scene):
    """Two processed frames of the box scene: as it is, and with the right image shifted."""
    processor = StereoProcessor(MatcherParams())
    inputs = stereo_input_messages(box_scene, SECOND)
    first = process_inputs(processor, tuple(inputs), OUTPUTS, color=True)
    shifted = list(inputs)
    shifted[2] = image_message(np.roll(box_scene.right, -2, axis=1), "mono8", inputs[2].header)
    return first, process_inputs(processor, tuple(shifted), OUTPUTS, color=True)


def test_the_cloud_is_written_into_a_reused_buffer_without_copies(frames):
    first, second = frames
    header = header_at(SECOND, "left_camera_optical_frame")
    layout = cloud_layout(use_color=True, avoid_padding=False)
    buffer = CloudBuffer()
    message = cloud_message(first, header, layout, buffer)
    data = message.data
    assert data is buffer.get(layout, 240, 320)  # the message holds the buffer itself
    points, rgb = points_from_cloud_message(deserialize_message(serialize_message(message),
                                                                PointCloud2))
    np.testing.assert_array_equal(points, first.points())
    np.testing.assert_array_equal(rgb, first.rgb)
    # the box (20 px) is 400 px * 0.1 m / 20 px = 2 m away
    assert np.nanmedian(points[IN_BOX][..., 2]) == pytest.approx(2.0, rel=4e-3)

    again = cloud_message(second, header, layout, buffer)
    assert again.data is data  # the same bytes, rewritten
    np.testing.assert_array_equal(cloud_array(again)["z"], second.depth)
    assert not np.array_equal(second.depth, first.depth, equal_nan=True)


def test_a_new_layout_gets_new_zeroed_bytes(frames):
    frame = frames[0]
    header = header_at(SECOND, "left_camera_optical_frame")
    buffer = CloudBuffer()
    colour = cloud_message(frame, header, cloud_layout(True, True), buffer)  # rgb at 12
    grey = cloud_message(frame, header, cloud_layout(False, False), buffer)  # padding at 12
    assert grey.data is not colour.data and grey.point_step == colour.point_step == 16
    records = np.frombuffer(grey.data, np.uint8).reshape(-1, 16)
    assert not records[:, 12:].any()  # the padding holds no colour of the previous layout


def test_image_messages_hold_the_array_unpadded(frames):
    frame = frames[0]
    message = image_message(frame.depth, "32FC1", header_at(SECOND, "left"))
    assert (message.height, message.width, message.step) == (240, 320, 4 * 320)
    assert len(message.data) == 240 * 320 * 4
    np.testing.assert_array_equal(array_from_image(message), frame.depth)


def test_output_messages_is_process_inputs_then_frame_messages(box_scene, frames):
    inputs = stereo_input_messages(box_scene, SECOND)
    layout = cloud_layout(True, False)
    together = output_messages(StereoProcessor(MatcherParams()), *inputs, OUTPUTS, layout)
    apart = frame_messages(frames[0], inputs[1].header, OUTPUTS, layout)
    assert sorted(together) == sorted(apart) == sorted(OUTPUTS)
    for name in OUTPUTS:
        assert together[name] == apart[name], name  # every field (CDR padding bytes vary)
    assert isinstance(together["depth"], Image)
