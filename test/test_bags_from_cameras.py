# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Bags as cameras record them: compressed images, raw images to rectify, both."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from rclpy.serialization import deserialize_message
from stereo_msgs.msg import DisparityImage

from stereo_depth_node.core.parameters import MatcherParams, NodeSettings
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.core.rectification import Rectifier
from stereo_depth_node.ros.bag_io import BagReader
from stereo_depth_node.ros.bag_process import ProcessOptions, process_bag
from stereo_depth_node.ros.messages import (
    OUTPUT_TYPES,
    array_from_image,
    output_messages,
)
from stereo_depth_node.testing.frames import raw_input_messages
from stereo_depth_node.testing.node_process import NodeProcess
from stereo_depth_node.testing.sample_bag import DEFAULT_TOPICS, write_stereo_bag

from helpers import SECOND, load_raw_motorcycle, run_cli

pytestmark = pytest.mark.ros

STAMPS = [1_700_000_000 * SECOND + i * SECOND // 10 for i in range(3)]
OUTPUTS = ("/disparity", "/depth", "/points2")
MOTORCYCLE = {"disparity_range": 272, "correlation_window_size": 11}


def outputs_of(path):
    """topic -> list of messages, in bag order."""
    result = {}
    with BagReader(path) as reader:
        for topic, _, data in reader.messages(list(OUTPUTS)):
            result.setdefault(topic, []).append(deserialize_message(data,
                                                                    OUTPUT_TYPES[topic[1:]]))
    return result


def test_a_png_bag_gives_the_outputs_of_its_uncompressed_twin(tmp_path, motorcycle_scene):
    write_stereo_bag(tmp_path / "raw", motorcycle_scene, STAMPS)
    write_stereo_bag(tmp_path / "png", motorcycle_scene, STAMPS, codec="png")
    with BagReader(tmp_path / "png") as reader:
        assert reader.topics["/left/image_rect/compressed"] == "sensor_msgs/msg/CompressedImage"
    options = ProcessOptions(DEFAULT_TOPICS, params=MatcherParams(**MOTORCYCLE))
    process_bag(tmp_path / "raw", tmp_path / "raw_out", options)
    # the same topics: the bag has only their /compressed, which is read
    summary = process_bag(tmp_path / "png", tmp_path / "png_out", options)
    assert summary.frames_written == 3
    twin, png = outputs_of(tmp_path / "raw_out"), outputs_of(tmp_path / "png_out")
    for topic in OUTPUTS:
        assert len(png[topic]) == 3 and png[topic] == twin[topic], topic


def test_a_jpeg_bag_gives_a_close_disparity(tmp_path, motorcycle_scene):
    write_stereo_bag(tmp_path / "raw", motorcycle_scene, STAMPS[:1])
    write_stereo_bag(tmp_path / "jpeg", motorcycle_scene, STAMPS[:1], codec="jpeg")
    for name in ("raw", "jpeg"):
        process_bag(tmp_path / name, tmp_path / f"{name}_out",
                    ProcessOptions(DEFAULT_TOPICS, params=MatcherParams(**MOTORCYCLE)))
    twin, jpeg = (array_from_image(outputs_of(tmp_path / f"{name}_out")["/disparity"][0].image)
                  for name in ("raw", "jpeg"))
    both = (twin >= 0) & (jpeg >= 0)
    assert (np.abs(twin - jpeg)[both] <= 1).mean() >= 0.95


@pytest.mark.parametrize("codec", [None, "png"])
def test_a_bag_of_raw_images_is_rectified_with_rectify(tmp_path, codec):
    raw = load_raw_motorcycle()
    write_stereo_bag(tmp_path / "in", raw, STAMPS[:2], codec=codec)
    result = run_cli("process", tmp_path / "in", "--out", tmp_path / "out", "--set",
                     "rectify=true", "--set", "disparity_range=272", "--set",
                     "correlation_window_size=11")
    assert result.returncode == 0, result.stderr
    assert "frames in: 2, paired: 2, written: 2" in result.stdout
    disparity = outputs_of(tmp_path / "out")["/disparity"][0]
    expected = output_messages(StereoProcessor(MatcherParams(**MOTORCYCLE)),
                               *raw_input_messages(raw, STAMPS[0]), ["disparity"],
                               NodeSettings(rectify=True), rectifier=Rectifier())["disparity"]
    np.testing.assert_array_equal(array_from_image(disparity.image),
                                  array_from_image(expected.image))
    assert disparity.f == pytest.approx(994.978) and disparity.t == pytest.approx(0.193001)


def test_a_bag_of_raw_images_without_rectify_is_refused_by_name(tmp_path):
    write_stereo_bag(tmp_path / "in", load_raw_motorcycle(), STAMPS[:1])
    result = run_cli("process", tmp_path / "in", "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "has no topic /left/image_rect, /right/image_rect; it has: /left/camera_info " \
        "(sensor_msgs/msg/CameraInfo), /left/image_raw (sensor_msgs/msg/Image)" in result.stderr


def test_a_compressed_raw_bag_replayed_into_a_rectifying_node(tmp_path, ros_env, namespace,
                                                             client):
    import rclpy

    from stereo_depth_node.ros.bag_replay import ReplayOptions, replay_bag

    raw = load_raw_motorcycle()
    stamps = [5 * SECOND + i * SECOND // 5 for i in range(5)]
    write_stereo_bag(tmp_path / "in", raw, stamps, codec="png")
    stream = client(["disparity"])
    replayer = rclpy.create_node("replayer")
    remaps = {topic: f"{namespace}{topic}" for topic in (
        "/left/image_raw/compressed", "/left/camera_info", "/right/image_raw/compressed",
        "/right/camera_info")}
    parameters = {"rectify": True, "image_transport": "compressed", **MOTORCYCLE}
    try:
        with NodeProcess(parameters=parameters, env=ros_env,
                         ros_args=["-r", f"__ns:={namespace}"]) as node, \
                ThreadPoolExecutor(1) as pool:
            assert stream.spin_until(lambda: stream.count_publishers("disparity") > 0, 30)
            replay = pool.submit(replay_bag, replayer, tmp_path / "in",
                                 ReplayOptions(remaps=remaps, delay=1.0, loop=True),
                                 keep_running=lambda: not stream.received.messages.get(
                                     "disparity"))
            assert stream.spin_until(lambda: stream.received.count("disparity") > 0, 60), \
                node.output()
            assert replay.result(timeout=30) >= 4
    finally:
        replayer.destroy_node()
    stamp, received = next(iter(stream.received.messages["disparity"].items()))
    assert isinstance(received, DisparityImage) and stamp in stamps
    expected = output_messages(StereoProcessor(MatcherParams(**MOTORCYCLE)),
                               *raw_input_messages(raw, stamp), ["disparity"],
                               NodeSettings(rectify=True), rectifier=Rectifier())["disparity"]
    np.testing.assert_array_equal(array_from_image(received.image),
                                  array_from_image(expected.image))


def test_a_frame_whose_calibration_cannot_rectify_is_dropped_not_the_bag(tmp_path):
    from rclpy.serialization import serialize_message

    from stereo_depth_node.ros.bag_io import BagWriter
    from stereo_depth_node.ros.messages import type_name

    raw = load_raw_motorcycle()
    topics = ("/left/image_raw", "/left/camera_info", "/right/image_raw", "/right/camera_info")
    with BagWriter(tmp_path / "in", "mcap") as writer:
        for index, stamp in enumerate(STAMPS[:2]):
            messages = raw_input_messages(raw, stamp)
            if index == 0:
                messages[3].r = [0.0] * 9  # a driver's default: no rotation given
            for topic, message in zip(topics, messages):
                writer.write(topic, type_name(type(message)), stamp, serialize_message(message))
    summary = process_bag(tmp_path / "in", tmp_path / "out", ProcessOptions(
        topics, settings=NodeSettings(rectify=True)))
    assert (summary.frames_paired, summary.frames_written) == (2, 1)
    assert list(summary.dropped.items()) == [
        ("right camera_info R is not a rotation (R Rᵀ = I, det R = 1); a camera without "
         "rectifying rotation has R = I", 1)]
