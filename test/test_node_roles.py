# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""stereo_image_proc's two nodes, ``disparity_node`` and ``point_cloud_node``, as processes."""

import numpy as np
import pytest
from sensor_msgs.msg import CameraInfo
from stereo_msgs.msg import DisparityImage

from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.ros.messages import (
    CLOUD_INPUT_TOPICS,
    CLOUD_INPUT_TYPES,
    array_from_image,
    camera_info_message,
    cloud_array,
    disparity_message,
    header_at,
    image_message,
    points_from_cloud_message,
)

from helpers import IN_BACKGROUND, IN_BOX, SECOND, connect, input_publishers, send, send_set

pytestmark = pytest.mark.ros


def test_point_cloud_node_turns_a_disparity_into_depth_and_coloured_points(start_node, client,
                                                                           box_scene):
    scene = box_scene
    node = start_node(role="point_cloud_node")
    stream = client(["points2", "depth"])
    publishers = input_publishers(stream, CLOUD_INPUT_TOPICS, CLOUD_INPUT_TYPES)
    frame = StereoProcessor(MatcherParams()).process(scene.left, "mono8", scene.right, "mono8",
                                                     scene.geometry)
    header = header_at(7 * SECOND, scene.left_calibration.frame_id)
    colour = np.stack([scene.left, scene.left // 2, 255 - scene.left], axis=2)  # R, G, B
    messages = (image_message(colour[:, :, ::-1], "bgr8", header),
                camera_info_message(scene.left_calibration, header),
                camera_info_message(scene.right_calibration, header),
                disparity_message(frame, header))
    assert send_set(stream, publishers, messages, 7 * SECOND, ("points2", "depth")), \
        node.output()
    cloud = stream.received.messages["points2"][7 * SECOND]
    assert cloud.header.frame_id == "left_camera_optical_frame" and cloud.point_step == 32
    points, rgb = points_from_cloud_message(cloud)
    known = np.isfinite(frame.disparity) & (frame.disparity > 0)
    # z = f T / d with f = 400 px and T = 0.1 m; the box (20 px) is 2 m away
    np.testing.assert_allclose(points[..., 2][known], 40.0 / frame.disparity[known], rtol=1e-6)
    assert np.isnan(points[~known]).all()
    assert np.median(points[IN_BOX][..., 2]) == pytest.approx(2.0, rel=4e-3)
    np.testing.assert_array_equal(rgb, colour)
    depth = array_from_image(stream.received.messages["depth"][7 * SECOND])
    np.testing.assert_array_equal(depth, points[..., 2])
    assert np.median(depth[IN_BACKGROUND]) == pytest.approx(4.0, rel=4e-3)


def test_point_cloud_node_takes_stereo_image_procs_loose_fixture(start_node, client):
    # image_pipeline's test_point_cloud_node.py: all-zero camera_infos, and a DisparityImage
    # with an empty encoding, f = t = 0 and float64 data twice as long as step x height.
    node = start_node(role="point_cloud_node")
    stream = client(["points2"])
    publishers = input_publishers(stream, CLOUD_INPUT_TOPICS, CLOUD_INPUT_TYPES)
    header = header_at(9 * SECOND, "camera")
    width, height = 64, 48
    disparity = DisparityImage(header=header, f=0.0, t=0.0, min_disparity=0.0,
                               max_disparity=64.0, delta_d=0.0625)
    disparity.image.header = header
    disparity.image.width, disparity.image.height = width, height
    disparity.image.step = width * 4
    disparity.image.data = np.ones(width * height, np.float64).tobytes()
    messages = (image_message(np.zeros((height, width, 3), np.uint8), "bgr8", header),
                CameraInfo(header=header), CameraInfo(header=header), disparity)
    assert send_set(stream, publishers, messages, 9 * SECOND, ("points2",)), node.output()
    cloud = stream.received.messages["points2"][9 * SECOND]
    assert (cloud.height, cloud.width, cloud.point_step) == (height, width, 32)
    assert [(f.name, f.offset) for f in cloud.fields] == \
        [("x", 0), ("y", 4), ("z", 8), ("rgb", 16)]
    values = cloud_array(cloud)
    assert all(np.isnan(values[name]).all() for name in ("x", "y", "z"))
    log = node.output()
    assert "[WARN]" in log and "disparity image encoding '' is not 32FC1; read as 32FC1" in log
    assert "no depth for the frame at 9.000000 s (a cloud of NaN points published): left " \
        "P[0,0] (fx) = 0.0 must be positive" in log
    assert node.process.poll() is None


def test_disparity_node_publishes_the_disparity_alone(start_node, client, box_scene):
    node = start_node(role="disparity_node")
    stream = client(["disparity"])
    connect(stream, box_scene)
    assert send(stream, box_scene, 3 * SECOND, outputs=("disparity",))
    names = {name for name, _ in stream.get_topic_names_and_types()}
    namespace = stream.get_namespace()
    assert f"{namespace}/disparity" in names
    assert not {f"{namespace}/{t}" for t in ("depth", "points2", "confidence")} & {
        n for n in names if stream.count_publishers(n) > 0}
    received = stream.received.messages["disparity"][3 * SECOND]
    expected = StereoProcessor(MatcherParams()).process(
        box_scene.left, "mono8", box_scene.right, "mono8", box_scene.geometry)
    np.testing.assert_array_equal(array_from_image(received.image),
                                  expected.disparity_with_invalid_marked())
    assert ".disparity_node]: disparity has a subscriber: subscribed to" in node.output()
