# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Output messages built from a processed frame, without a ROS graph."""

import numpy as np
import pytest
from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import Image, PointCloud2

from stereo_depth_node.core.geometry import depth_in_millimetres
from stereo_depth_node.core.parameters import MatcherParams, NodeSettings
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

from helpers import IN_BACKGROUND, IN_BOX, SECOND

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
    settings = NodeSettings()
    together = output_messages(StereoProcessor(MatcherParams()), *inputs, OUTPUTS, settings)
    apart = frame_messages(frames[0], inputs[1].header, OUTPUTS, settings)
    assert sorted(together) == sorted(apart) == sorted(OUTPUTS)
    for name in OUTPUTS:
        assert together[name] == apart[name], name  # every field (CDR padding bytes vary)
    assert isinstance(together["depth"], Image)


def test_depth_in_millimetres_is_the_metric_depth_rounded(frames):
    frame = frames[0]
    header = header_at(SECOND, "left")
    settings = NodeSettings(depth_in_millimetres=True)
    message = frame_messages(frame, header, ("depth",), settings)["depth"]
    assert (message.encoding, message.step) == ("16UC1", 2 * 320)
    millimetres = array_from_image(message)
    known = np.isfinite(frame.depth)
    np.testing.assert_array_equal(millimetres[known], np.rint(frame.depth[known] * 1000))
    assert (millimetres[~known] == 0).all()
    assert millimetres[IN_BOX].mean() == pytest.approx(2000, abs=8)  # the box, 2 m away
    edge = depth_in_millimetres(np.array([[65.535, 65.5356, np.nan, 0.0004]], np.float32))
    assert edge.tolist() == [[65535, 0, 0, 0]]  # beyond 65.535 m or under 0.5 mm: unknown


def test_a_depth_range_empties_depth_and_cloud_but_not_the_disparity(frames):
    frame = frames[0]
    header = header_at(SECOND, "left")
    # the box is 2 m away, the background 400 px * 0.1 m / 10 px = 4 m
    settings = NodeSettings(min_depth=1.5, max_depth=3.0)
    messages = frame_messages(frame, header, OUTPUTS, settings)
    depth = array_from_image(messages["depth"])
    inside = (frame.depth >= 1.5) & (frame.depth <= 3.0)
    np.testing.assert_array_equal(depth[inside], frame.depth[inside])
    assert np.isnan(depth[~inside]).all()
    assert inside[IN_BOX].all() and not inside[IN_BACKGROUND].any()
    np.testing.assert_array_equal(cloud_array(messages["points2"])["z"], depth)
    np.testing.assert_array_equal(array_from_image(messages["disparity"].image),
                                  frame.disparity_with_invalid_marked())


def test_a_decimated_cloud_keeps_every_nth_row_and_column(frames):
    frame = frames[0]
    settings = NodeSettings(point_cloud_decimation=3)
    message = frame_messages(frame, header_at(SECOND, "left"), ("points2",), settings)["points2"]
    assert (message.height, message.width) == (80, 107)  # 240 / 3 rows, ceil(320 / 3) columns
    assert message.row_step == 107 * 32 and [f.name for f in message.fields] == \
        ["x", "y", "z", "rgb"]
    points, rgb = points_from_cloud_message(message)
    np.testing.assert_array_equal(points, frame.points()[::3, ::3])
    np.testing.assert_array_equal(rgb, frame.rgb[::3, ::3])


def test_a_valid_only_cloud_is_one_dense_row_of_the_known_points(frames):
    frame = frames[0]
    settings = NodeSettings(point_cloud_valid_only=True, point_cloud_decimation=2)
    message = frame_messages(frame, header_at(SECOND, "left"), ("points2",), settings)["points2"]
    expected = frame.points()[::2, ::2]
    known = np.isfinite(expected[..., 2])
    assert message.is_dense and message.height == 1 and message.width == known.sum() > 0
    assert message.row_step == message.width * 32
    points, rgb = points_from_cloud_message(message)
    np.testing.assert_array_equal(points[0], expected[known])  # in row order
    np.testing.assert_array_equal(rgb[0], frame.rgb[::2, ::2][known])
