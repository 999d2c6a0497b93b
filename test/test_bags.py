# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""``stereo-depth process`` and ``replay`` on bags the tests write themselves, in both formats."""

import dataclasses
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import Image, PointCloud2
from stereo_msgs.msg import DisparityImage

from stereo_depth_node.cli import main
from stereo_depth_node.core.geometry import CameraCalibration
from stereo_depth_node.core.parameters import MatcherParams, NodeSettings
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.ros.bag_io import BagError, BagReader, BagWriter
from stereo_depth_node.ros.bag_process import ProcessOptions, process_bag
from stereo_depth_node.ros.config_files import config_file
from stereo_depth_node.ros.messages import (
    array_from_image,
    disparity_from_message,
    stamp_ns,
    type_name,
)
from stereo_depth_node.testing.frames import stereo_input_messages
from stereo_depth_node.testing.node_process import NodeProcess
from stereo_depth_node.testing.sample_bag import DEFAULT_TOPICS, write_stereo_bag
from stereo_depth_node.testing.stream_client import spin_until

from helpers import IN_BOX, SECOND, run_cli, start_cli

pytestmark = pytest.mark.ros  # rosbags and rclpy serialization in every test; DDS in some

STAMPS = [1_700_000_000 * SECOND + i * SECOND // 10 for i in range(6)]


@pytest.fixture
def scene(box_scene):
    """The shared box scene: a 20 px box in front of a 10 px background."""
    return box_scene


def read_bag(path):
    """topic -> list of (bag time, message)."""
    types = {"/disparity": DisparityImage, "/depth": Image, "/points2": PointCloud2,
             "/left/image_rect": Image}
    result = {}
    with BagReader(path) as reader:
        for topic, timestamp, data in reader.messages():
            if topic in types:
                result.setdefault(topic, []).append(
                    (timestamp, deserialize_message(data, types[topic])))
    return result


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_process_writes_the_cores_result_for_every_frame(tmp_path, storage, motorcycle_scene):
    real = motorcycle_scene
    write_stereo_bag(tmp_path / "in", real, STAMPS[:3], storage)
    summary = process_bag(tmp_path / "in", tmp_path / "out",
                          ProcessOptions(DEFAULT_TOPICS, storage=storage))
    assert (summary.frames_in, summary.frames_paired, summary.frames_written) == (3, 3, 3)
    assert not summary.dropped and summary.dropped_unpaired == 0
    with BagReader(tmp_path / "out") as reader:
        assert reader.counts == {"/disparity": 3, "/depth": 3, "/points2": 3}
    extension = {"mcap": "mcap", "sqlite3": "db3"}[storage]  # files named after the bag
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "metadata.yaml", f"out.{extension}"]
    assert not (tmp_path / ".out.partial").exists()
    bag = read_bag(tmp_path / "out")
    expected = StereoProcessor(MatcherParams()).process(real.left, "rgb8", real.right, "rgb8",
                                                        real.geometry, ("depth",))
    for topic in ("/disparity", "/depth", "/points2"):
        assert [stamp_ns(m.header) for _, m in bag[topic]] == STAMPS[:3]  # stamps preserved
        assert [t for t, _ in bag[topic]] == STAMPS[:3]
        assert all(m.header.frame_id == "left_camera_optical_frame" for _, m in bag[topic])
    for _, message in bag["/disparity"]:
        assert message.min_disparity == pytest.approx(expected.min_disparity)
        np.testing.assert_array_equal(array_from_image(message.image),
                                      expected.disparity_with_invalid_marked())
    np.testing.assert_array_equal(array_from_image(bag["/depth"][0][1]), expected.depth)
    assert bag["/points2"][0][1].point_step == 32


def test_include_inputs_prefix_and_sgbm_params_file(tmp_path, scene):
    write_stereo_bag(tmp_path / "in", scene, STAMPS)
    result = main(["process", str(tmp_path / "in"), "--out", str(tmp_path / "out"),
                   "--params", str(config_file("sgbm_quality.yaml")), "--include-inputs",
                   "--output-prefix", "/stereo", "--format", "sqlite3"])
    assert result == 0
    with BagReader(tmp_path / "out") as reader:
        assert reader.counts == {**{t: 6 for t in DEFAULT_TOPICS},
                                 "/stereo/disparity": 6, "/stereo/depth": 6, "/stereo/points2": 6}
        disparity = next(deserialize_message(d, DisparityImage)
                         for t, _, d in reader.messages(["/stereo/disparity"]))
    box = disparity_from_message(disparity)[IN_BOX]
    assert np.median(box) == pytest.approx(20.0, abs=1 / 16)


def test_unpaired_and_bad_frames_are_counted(tmp_path, scene):
    broken = scene.right_calibration
    flipped = CameraCalibration(broken.width, broken.height, broken.P * [1, 1, 1, -1])
    with BagWriter(tmp_path / "in") as writer:
        for stamp, right_calibration in ((STAMPS[0], broken), (STAMPS[1], flipped),
                                         (STAMPS[2], broken)):
            messages = stereo_input_messages(
                dataclasses.replace(scene, right_calibration=right_calibration), stamp)
            if stamp == STAMPS[2]:
                messages = messages[:1]  # a left image whose partners never come
            for topic, message in zip(DEFAULT_TOPICS, messages):
                writer.write(topic, type_name(type(message)), stamp,
                             serialize_message(message))
    summary = process_bag(tmp_path / "in", tmp_path / "out", ProcessOptions(DEFAULT_TOPICS))
    # The frame whose calibration gives no depth keeps its disparity, as in the node.
    assert (summary.frames_in, summary.frames_paired, summary.frames_written) == (3, 2, 2)
    assert summary.dropped == {}
    [(reason, count)] = summary.without_depth.items()
    assert count == 1 and "baseline" in reason and "must be positive" in reason
    assert any("1 frame(s) without depth and points2: right P[0,3]" in line
               for line in summary.lines())
    with BagReader(tmp_path / "out") as reader:
        assert reader.counts == {"/disparity": 2, "/depth": 1, "/points2": 1}


def test_a_message_that_cannot_be_decoded_is_skipped_and_reported(tmp_path, scene):
    with BagWriter(tmp_path / "in") as writer:
        for stamp in STAMPS[:3]:
            for topic, message in zip(DEFAULT_TOPICS, stereo_input_messages(scene, stamp)):
                data = serialize_message(message)
                if stamp == STAMPS[1] and topic == "/right/camera_info":
                    data = data[:40]  # a truncated record
                writer.write(topic, type_name(type(message)), stamp, data)
    summary = process_bag(tmp_path / "in", tmp_path / "out", ProcessOptions(DEFAULT_TOPICS))
    assert (summary.frames_in, summary.frames_written) == (3, 2)
    assert summary.dropped == {
        "/right/camera_info: a message could not be decoded (damaged data)": 1}
    with BagReader(tmp_path / "out") as reader:
        stamps = [deserialize_message(d, DisparityImage).header.stamp
                  for _, _, d in reader.messages(["/disparity"])]
    assert [s.sec * 10**9 + s.nanosec for s in stamps] == [STAMPS[0], STAMPS[2]]


def test_process_refuses_a_topic_for_two_inputs_and_a_bad_prefix(tmp_path, scene):
    write_stereo_bag(tmp_path / "in", scene, STAMPS[:1])
    twice = ("/right/image_rect", *DEFAULT_TOPICS[1:])
    with pytest.raises(BagError, match="/right/image_rect is given for more than one input"):
        process_bag(tmp_path / "in", tmp_path / "out", ProcessOptions(twice))
    with pytest.raises(BagError, match="with --output-prefix, output topic 'bad//ns/disparity' "
                                       "is not a valid topic name"):
        process_bag(tmp_path / "in", tmp_path / "out",
                    ProcessOptions(DEFAULT_TOPICS, output_prefix="bad//ns"))
    assert not (tmp_path / "out").exists()


def test_missing_topic_lists_the_topics_the_bag_has(tmp_path, scene):
    write_stereo_bag(tmp_path / "in", scene, STAMPS[:1])
    with pytest.raises(BagError) as error:
        process_bag(tmp_path / "in", tmp_path / "out",
                    ProcessOptions(("/cam/left", *DEFAULT_TOPICS[1:])))
    message = str(error.value)
    assert "has no topic /cam/left" in message
    assert "/left/image_rect (sensor_msgs/msg/Image)" in message
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_damaged_bag_is_an_error_not_a_traceback(tmp_path, scene, storage):
    write_stereo_bag(tmp_path / "in", scene, STAMPS, storage)
    data_file = next(p for p in (tmp_path / "in").iterdir() if p.suffix in (".mcap", ".db3"))
    content = data_file.read_bytes()
    data_file.write_bytes(content[: len(content) // 2])  # truncated mid-recording
    result = run_cli("process", tmp_path / "in", "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("stereo-depth process: error: ")
    assert str(tmp_path / "in") in result.stderr
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / ".out.partial").exists()


def test_not_a_bag_and_existing_output(tmp_path, scene):
    (tmp_path / "empty").mkdir()
    with pytest.raises(BagError, match="cannot open bag"):
        process_bag(tmp_path / "empty", tmp_path / "out", ProcessOptions(DEFAULT_TOPICS))
    write_stereo_bag(tmp_path / "in", scene, STAMPS[:1])
    (tmp_path / "out").mkdir()
    with pytest.raises(BagError, match="exists already"):
        process_bag(tmp_path / "in", tmp_path / "out", ProcessOptions(DEFAULT_TOPICS))


def test_replayed_bag_reaches_a_running_node(tmp_path, scene, ros_env, namespace, client):
    import rclpy

    from stereo_depth_node.ros.bag_replay import ReplayOptions, replay_bag

    stamps = [5 * SECOND + i * SECOND // 5 for i in range(10)]  # 2 s at 5 Hz
    write_stereo_bag(tmp_path / "in", scene, stamps, topics=(
        "/cam/l/image", "/cam/l/info", "/cam/r/image", "/cam/r/info"))
    # The CLI publishes every message of the bag once, and says so. Nobody listens to it here:
    # a new process can take seconds to be discovered (what its --delay is for).
    result = run_cli("replay", tmp_path / "in", "--rate", "100")
    assert result.returncode == 0, result.stderr
    assert "published 40 messages" in result.stdout
    # The same replay from this process, which the node has discovered already (the client is
    # in it): only the replay's new publishers must be matched, which takes milliseconds. A
    # frame published before that is lost, as best-effort frames may be; allowed below.
    stream = client(["disparity"])
    replayer = rclpy.create_node("replayer")
    remaps = {f"/cam/{s}/{k}": f"{namespace}/{side}/{topic}"
              for s, side in (("l", "left"), ("r", "right"))
              for k, topic in (("image", "image_rect"), ("info", "camera_info"))}
    try:
        with NodeProcess(config_file("stereo_depth.yaml"), env=ros_env,
                         ros_args=["-r", f"__ns:={namespace}"]), ThreadPoolExecutor(1) as pool:
            assert stream.spin_until(stream.connected, 30)
            replay = pool.submit(replay_bag, replayer, tmp_path / "in",
                                 ReplayOptions(remaps=remaps))
            assert stream.spin_until(replay.done, 60)  # outputs arrive meanwhile
            assert replay.result() == 40
            # the node answers in order: the last frame's answer is the last to come
            stream.spin_until(lambda: stamps[-1] in stream.received.messages.get("disparity", {}),
                              5)
    finally:
        replayer.destroy_node()
    received = stream.received.messages["disparity"]
    assert len(received) >= len(stamps) - 2, sorted(received)  # best effort: allow losses
    assert set(received) <= set(stamps)  # the recorded stamps, untouched
    box = disparity_from_message(received[max(received)])[IN_BOX]
    assert np.median(box) == pytest.approx(20.0, abs=1 / 16)
    # the bag's 200 ms spacing is kept: arrivals span about 1.8 s
    arrivals = sorted(stream.received.arrival["disparity"].values())
    spacing = (arrivals[-1] - arrivals[0]) / (max(received) - min(received)) * SECOND
    assert 0.7 < spacing < 1.3, arrivals


def test_replay_swaps_topics_exactly_as_asked(tmp_path, scene, ros_env, namespace):
    import rclpy
    from sensor_msgs.msg import Image

    topics = tuple(f"{namespace}/{name}" for name in ("l", "l_info", "r", "r_info"))
    write_stereo_bag(tmp_path / "in", scene, [SECOND + i * SECOND // 10 for i in range(20)],
                     topics=topics)
    listener = rclpy.create_node("swap_listener")
    frame_ids = []
    listener.create_subscription(Image, topics[0], lambda m: frame_ids.append(m.header.frame_id),
                                 10)
    try:
        # looped, so that it is still publishing whenever this process has discovered it (a
        # new process can take seconds); stopped once a few images have arrived
        replay = start_cli("replay", tmp_path / "in", "--loop",
                           "--remap", f"{topics[0]}:={topics[2]}",
                           "--remap", f"{topics[2]}:={topics[0]}", env=ros_env)
        assert spin_until(listener, lambda: len(frame_ids) >= 5 or replay.poll() is not None,
                          60)
        replay.send_signal(signal.SIGINT)
        _, err = replay.communicate(timeout=30)
        assert replay.returncode == 0, err
    finally:
        listener.destroy_node()
    assert frame_ids and set(frame_ids) == {scene.right_calibration.frame_id}


def test_ctrl_c_ends_a_looping_replay_cleanly(tmp_path, scene, ros_env, namespace):
    import rclpy
    from sensor_msgs.msg import CameraInfo

    topics = tuple(f"{namespace}{topic}" for topic in DEFAULT_TOPICS)
    write_stereo_bag(tmp_path / "in", scene, [SECOND + i * SECOND // 100 for i in range(5)],
                     topics=topics)
    listener = rclpy.create_node("ctrl_c_listener")
    infos = []
    listener.create_subscription(CameraInfo, topics[1], infos.append, 10)
    replay = start_cli("replay", tmp_path / "in", "--loop", "--rate", "5", env=ros_env)
    try:
        # Ctrl-C while it publishes: once its messages arrive
        assert spin_until(listener, lambda: infos or replay.poll() is not None, 60)
    finally:  # the replay ends before the listener's reader is destroyed
        replay.send_signal(signal.SIGINT)
        out, err = replay.communicate(timeout=30)
        listener.destroy_node()
    assert replay.returncode == 0 and "Traceback" not in err, err
    assert re.search(r"published \d+ messages", out)


def test_replay_errors(tmp_path, scene):
    write_stereo_bag(tmp_path / "in", scene, STAMPS[:1])
    result = run_cli("replay", tmp_path / "in", "--topics", "/nope")
    assert result.returncode == 2 and "has no topic /nope" in result.stderr
    result = run_cli("replay", tmp_path / "in", "--remap", "/left/image_rect=/x")
    assert result.returncode == 2 and "is not of the form OLD:=NEW" in result.stderr
    for options, message in (
            (["--delay", "-1"], "--delay -1.0 must be zero or more seconds"),
            (["--remap", "/left/image_rect:=/1abc"],
             "--remap target '/1abc' is not a valid topic name: topic name must not have a "
             "token that starts with a number"),
            (["--remap", "/left/image_rect:=/x", "--remap", "/right/image_rect:=/x"],
             "two replayed topics would be published on /x"),
            (["--remap", "/left/image_rect:=/right/image_rect"],
             "two replayed topics would be published on /right/image_rect")):
        result = run_cli("replay", tmp_path / "in", *options)
        assert result.returncode == 2 and result.stderr.strip().splitlines() == [
            f"stereo-depth replay: error: {message}"], result.stderr


def test_replay_rate_loop_and_topic_selection(tmp_path, scene, ros_env):
    import rclpy

    from stereo_depth_node.ros.bag_replay import ReplayOptions, replay_bag

    stamps = [SECOND + i * SECOND // 5 for i in range(6)]  # 1 s of recording
    write_stereo_bag(tmp_path / "in", scene, stamps)
    node = rclpy.create_node("replay_test")
    try:
        # timing from the first publish on: opening the bag before it may take any time
        seen, published_at = [], []

        def record(topic, timestamp):
            published_at.append(time.monotonic())
            seen.append((topic, timestamp))

        count = replay_bag(node, tmp_path / "in",
                           ReplayOptions(rate=4.0, topics=["/left/camera_info"]),
                           on_message=record)
        elapsed = published_at[-1] - published_at[0]
        assert count == 6 and seen == [("/left/camera_info", t) for t in stamps]
        assert 0.2 < elapsed < 0.6  # 1 s of recording at 4x
        looped = []
        count = replay_bag(node, tmp_path / "in",
                           ReplayOptions(rate=100.0, loop=True, topics=["/left/camera_info"]),
                           on_message=lambda topic, t: looped.append(t),
                           keep_running=lambda: len(looped) < 15)
        assert count == 15 and looped == (stamps * 3)[:15]
        # passes are one recorded spacing apart (1 s for a bag of one stamp), not back to back
        write_stereo_bag(tmp_path / "one", scene, stamps[:1])
        once = []
        replay_bag(node, tmp_path / "one",
                   ReplayOptions(rate=10.0, loop=True, topics=["/left/camera_info"]),
                   on_message=lambda topic, t: once.append(time.monotonic()),
                   keep_running=lambda: len(once) < 4)
        assert [round(t - once[0], 1) for t in once] == [0.0, 0.1, 0.2, 0.3]
        with pytest.raises(BagError, match="must be positive"):
            replay_bag(node, tmp_path / "in", ReplayOptions(rate=0.0))
    finally:
        node.destroy_node()


def test_process_flushes_the_last_approximate_frame_and_checks_types(tmp_path, scene):
    write_stereo_bag(tmp_path / "in", scene, STAMPS[:3])
    summary = process_bag(tmp_path / "in", tmp_path / "out",
                          ProcessOptions(DEFAULT_TOPICS, settings=NodeSettings(
                              approximate_sync=True, approximate_sync_tolerance_seconds=0.01)))
    assert (summary.frames_in, summary.frames_paired, summary.frames_written) == (3, 3, 3)
    with pytest.raises(BagError, match="holds sensor_msgs/msg/CameraInfo, expected "
                                       "sensor_msgs/msg/Image"):
        process_bag(tmp_path / "in", tmp_path / "out2", ProcessOptions(
            ("/left/camera_info", "/left/image_rect", "/right/image_rect",
             "/right/camera_info")))
    result = run_cli("process", tmp_path / "in", "--out", tmp_path / "out3",
                     "--set", "queue_size=0")
    assert result.returncode == 2 and "'queue_size' = 0 is not allowed: 1..1000" in result.stderr
    assert "Traceback" not in result.stderr
