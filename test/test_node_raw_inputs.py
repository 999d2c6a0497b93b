# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The node straight from the cameras: image_raw rectified, Bayer, compressed."""

import re

import numpy as np
import pytest

from stereo_depth_node.core.image_encoding import to_rgb8
from stereo_depth_node.core.parameters import MatcherParams, NodeSettings
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.core.rectification import Rectifier
from stereo_depth_node.ros.messages import (
    OUTPUT_TYPES,
    array_from_image,
    disparity_from_message,
    image_message,
    output_messages,
    points_from_cloud_message,
)
from stereo_depth_node.ros.roles import DISPARITY_ONLY, POINT_CLOUD, STEREO_DEPTH
from stereo_depth_node.testing.frames import raw_input_messages, stereo_input_messages
from stereo_depth_node.testing.raw_scenes import bayer_mosaic

from helpers import (
    SECOND,
    input_publishers,
    load_raw_motorcycle,
    publish_set,
    publish_until,
    send_set,
)

pytestmark = pytest.mark.ros

# Motorcycle needs 270 px of search; a smaller window keeps its thin parts.
MOTORCYCLE = {"disparity_range": 272, "correlation_window_size": 11}


def test_role_inputs_follow_rectify_and_image_transport():
    raw = STEREO_DEPTH.inputs(NodeSettings(rectify=True))[0]
    assert raw == ("left/image_raw", "left/camera_info", "right/image_raw", "right/camera_info")
    topics, types = DISPARITY_ONLY.inputs(NodeSettings(rectify=True,
                                                       image_transport="compressed"))
    assert topics == ("left/image_raw/compressed", "left/camera_info",
                      "right/image_raw/compressed", "right/camera_info")
    assert [t.__name__ for t in types] == ["CompressedImage", "CameraInfo", "CompressedImage",
                                           "CameraInfo"]
    colour = STEREO_DEPTH.inputs(NodeSettings(use_image_rect_color=True,
                                              image_transport="compressed"))[0]
    assert colour[4] == "left/image_rect_color/compressed"
    assert "rectify" not in POINT_CLOUD.parameters  # it takes a disparity, not images to match


def expected_outputs(inputs, outputs, rectify):
    return output_messages(StereoProcessor(MatcherParams(**MOTORCYCLE)), *inputs, outputs,
                           NodeSettings(), rectifier=Rectifier() if rectify else None)


def test_rectify_takes_image_raw_and_gives_the_rectified_pairs_disparity(start_node, client,
                                                                         namespace):
    node = start_node({"rectify": True, **MOTORCYCLE})
    stream = client(["disparity", "depth"])
    topics, types = STEREO_DEPTH.inputs(NodeSettings(rectify=True))
    publishers = input_publishers(stream, topics, types)
    raw = load_raw_motorcycle()
    inputs = raw_input_messages(raw, 5 * SECOND)
    assert send_set(stream, publishers, inputs, 5 * SECOND, ("disparity", "depth")), \
        node.output()
    received = stream.received.messages["disparity"][5 * SECOND]
    expected = expected_outputs(inputs, ["disparity"], rectify=True)["disparity"]
    np.testing.assert_array_equal(array_from_image(received.image),
                                  array_from_image(expected.image))
    assert (received.f, received.t) == (pytest.approx(994.978), pytest.approx(0.193001))
    # the disparity of the rectified pair the raw images were made from, at 99.9 %
    scene = raw.rectified
    reference = StereoProcessor(MatcherParams(**MOTORCYCLE)).process(
        scene.left, "rgb8", scene.right, "rgb8", scene.geometry).disparity_with_invalid_marked()
    disparity = array_from_image(received.image)
    both = (disparity >= 0) & (reference >= 0)
    assert (np.abs(disparity - reference)[both] <= 1).mean() >= 0.95
    depth = array_from_image(stream.received.messages["depth"][5 * SECOND])
    known = disparity_from_message(received)  # NaN where invalid
    assert np.isfinite(known).mean() > 0.4
    np.testing.assert_allclose(depth, 994.978 * 0.193001 / known, rtol=1e-5)  # NaN alike
    assert f"subscribed to {namespace}/left/image_raw, {namespace}/left/camera_info, " \
        f"{namespace}/right/image_raw, {namespace}/right/camera_info" in node.output()


def test_an_uncalibrated_camera_with_rectify_is_refused_and_good_frames_go_on(start_node,
                                                                             client):
    node = start_node({"rectify": True})
    stream = client(["disparity"])
    topics, types = STEREO_DEPTH.inputs(NodeSettings(rectify=True))
    publishers = input_publishers(stream, topics, types)
    bad = raw_input_messages(load_raw_motorcycle(), 6 * SECOND)
    for info in (bad[1], bad[3]):
        info.k, info.d, info.r, info.p = [0.0] * 9, [], [0.0] * 9, [0.0] * 12  # a new driver's
    assert not send_set(stream, publishers, bad, 6 * SECOND, ("disparity",), timeout=2.0)
    assert "dropped frame at 6.000000 s: left camera_info is uncalibrated" in node.output()
    assert "left camera_info is uncalibrated (K is all zeros): rectify needs the camera's " \
        "calibration (D, K, R, P)" in node.output()
    good = raw_input_messages(load_raw_motorcycle(), 7 * SECOND)
    assert send_set(stream, publishers, good, 7 * SECOND, ("disparity",)), node.output()
    assert node.process.poll() is None


@pytest.mark.parametrize("codec", ["png", "jpeg"])
def test_compressed_images_are_decoded(start_node, client, motorcycle_scene, codec):
    node = start_node({"image_transport": "compressed", **MOTORCYCLE})
    stream = client(["disparity"])
    topics, types = STEREO_DEPTH.inputs(NodeSettings(image_transport="compressed"))
    assert topics[0] == "left/image_rect/compressed"
    publishers = input_publishers(stream, topics, types)
    inputs = stereo_input_messages(motorcycle_scene, 8 * SECOND, codec=codec)
    assert send_set(stream, publishers, inputs, 8 * SECOND, ("disparity",)), node.output()
    received = array_from_image(stream.received.messages["disparity"][8 * SECOND].image)
    uncompressed = expected_outputs(stereo_input_messages(motorcycle_scene, 8 * SECOND),
                                    ["disparity"], rectify=False)["disparity"]
    expected = array_from_image(uncompressed.image)
    if codec == "png":
        np.testing.assert_array_equal(received, expected)
    else:
        both = (received >= 0) & (expected >= 0)
        assert (np.abs(received - expected)[both] <= 1).mean() >= 0.95
        assert not np.array_equal(received, expected)


def test_bayer_images_are_demosaiced(start_node, client):
    node = start_node(MOTORCYCLE)
    stream = client(["disparity", "points2"])
    topics, types = STEREO_DEPTH.inputs(NodeSettings())
    publishers = input_publishers(stream, topics, types)
    # rectified images through a Bayer filter: the raw scene's rectified pair, no lens
    scene = load_raw_motorcycle().rectified
    rgb = stereo_input_messages(scene, 9 * SECOND)
    inputs = list(rgb)
    for index, image in ((0, scene.left), (2, scene.right)):
        inputs[index] = image_message(bayer_mosaic(image[:, :740], "bggr"), "bayer_bggr8",
                                      rgb[index].header)
        inputs[index + 1].width = 740
    assert send_set(stream, publishers, inputs, 9 * SECOND, ("disparity", "points2")), \
        node.output()
    received = array_from_image(stream.received.messages["disparity"][9 * SECOND].image)
    expected = expected_outputs(inputs, ["disparity"], rectify=False)["disparity"]
    np.testing.assert_array_equal(received, array_from_image(expected.image))
    _, colours = points_from_cloud_message(stream.received.messages["points2"][9 * SECOND])
    np.testing.assert_array_equal(colours, to_rgb8(array_from_image(inputs[0]), "bayer_bggr8"))
    inner = (slice(4, -4), slice(4, -4))  # bilinear demosaicing of a sharp image: measured 3.7
    assert np.abs(colours[inner].astype(int) - scene.left[:, :740][inner]).mean() < 5.0


def test_rectify_publishes_the_rectified_pair_to_its_subscribers(start_node, ros_env,
                                                                 namespace):
    from rclpy import create_node
    from sensor_msgs.msg import Image

    node = start_node({"rectify": True})
    listener = create_node("rectified_listener", namespace=namespace)
    received = {topic: [] for topic in ("left/image_rect", "right/image_rect")}
    for topic, messages in received.items():
        listener.create_subscription(OUTPUT_TYPES[topic], topic, messages.append, 10)
    topics, types = STEREO_DEPTH.inputs(NodeSettings(rectify=True))
    publishers = input_publishers(listener, topics, types)
    raw = load_raw_motorcycle()
    inputs = raw_input_messages(raw, 10 * SECOND)
    try:
        publish_until(listener, lambda _: publish_set(publishers, inputs),
                      lambda: all(received.values()), 10.0)
        rectifier = Rectifier()
        for index, (topic, image, camera) in enumerate(
                (("left/image_rect", raw.left, raw.left_camera),
                 ("right/image_rect", raw.right, raw.right_camera))):
            assert received[topic], node.output()
            message = received[topic][0]
            assert isinstance(message, Image) and message.encoding == "mono8"
            assert (message.width, message.height) == (741, 500)
            assert message.header == inputs[2 * index + 1].header  # its camera's stamp, frame
            expected, _ = rectifier.rectify(image, "rgb8", camera, "left", colour=False)
            np.testing.assert_array_equal(array_from_image(message), expected)
        # the rectified pair alone takes the inputs: "<topic> has a subscriber: subscribed to"
        assert re.search(r"(left|right)/image_rect has a subscriber: subscribed to "
                         f"{namespace}/left/image_raw", node.output())
    finally:  # the node stops before the listener's readers are destroyed
        node.stop()
        listener.destroy_node()
