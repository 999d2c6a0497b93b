# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The node as a real process, driven over DDS (loopback only, own domain)."""

import dataclasses
import math
import signal

import numpy as np
import pytest
from rclpy.qos import ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image

from stereo_depth_node.core.matching import DenseMatcher
from stereo_depth_node.core.parameters import MatcherParams, NodeSettings
from stereo_depth_node.core.point_cloud import unpack_rgb
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.ros.messages import (
    INPUT_TOPICS,
    array_from_image,
    cloud_array,
    disparity_from_message,
    header_at,
    image_message,
    output_messages,
    points_from_cloud_message,
)
from stereo_depth_node.testing.frames import stereo_input_messages

from helpers import (
    IN_BACKGROUND,
    IN_BOX,
    SECOND,
    connect,
    get_parameter,
    make_tiny_scene,
    publish_frame,
    publish_until,
    send,
    set_parameters,
    statuses,
    value_of,
)

pytestmark = pytest.mark.ros  # a node process and a client over DDS in every test

ALL_OUTPUTS = ("disparity", "depth", "points2")


@pytest.fixture
def scene(box_scene):
    """The shared box scene (seed 5): its 20 px box is 2 m away."""
    return box_scene


def test_outputs_equal_the_core_on_real_data(start_node, client, motorcycle_scene):
    scene = motorcycle_scene
    node = start_node()
    stream = client()
    connect(stream, scene)
    stamp = 1_700_000_000 * SECOND + 123_456_789
    assert send(stream, scene, stamp)
    disparity_msg = stream.received.messages["disparity"][stamp]
    depth_msg = stream.received.messages["depth"][stamp]
    cloud_msg = stream.received.messages["points2"][stamp]

    geometry = scene.geometry
    processor = StereoProcessor(MatcherParams())
    expected = processor.process(scene.left, "rgb8", scene.right, "rgb8", geometry,
                                 ("points2",), color=True)

    for message in (disparity_msg, depth_msg, cloud_msg):
        assert message.header.stamp.sec == 1_700_000_000
        assert message.header.stamp.nanosec == 123_456_789
        assert message.header.frame_id == "left_camera_optical_frame"
    # DisparityImage: same values as the core, with stereo_image_proc's metadata
    assert disparity_msg.image.encoding == "32FC1"
    np.testing.assert_array_equal(array_from_image(disparity_msg.image),
                                  expected.disparity_with_invalid_marked())
    assert disparity_msg.f == pytest.approx(994.978)
    assert disparity_msg.t == pytest.approx(0.193001)
    assert disparity_msg.delta_d == 1 / 16
    # cx_l - cx_r = -31.086 px: bounds are shifted with the image, min + range - 1
    assert disparity_msg.min_disparity == pytest.approx(31.086, abs=1e-4)
    assert disparity_msg.max_disparity == pytest.approx(31.086 + 63, abs=1e-4)
    window = DenseMatcher(MatcherParams()).valid_window(741, 500)
    assert (disparity_msg.valid_window.x_offset, disparity_msg.valid_window.width) == \
        (window.x_offset, window.width)
    # depth = f T / d, NaN where unknown (REP 118: 32FC1 metres)
    assert depth_msg.encoding == "32FC1"
    depth = array_from_image(depth_msg)
    d = disparity_from_message(disparity_msg)
    known = np.isfinite(d)
    np.testing.assert_allclose(depth[known], 994.978 * 0.193001 / d[known], rtol=1e-5)
    assert np.isnan(depth[~known]).all()
    assert 0.3 < np.nanmedian(depth) < 10.0
    # organized cloud: z is the depth, x and y from the left camera's intrinsics
    assert (cloud_msg.height, cloud_msg.width, cloud_msg.point_step) == (500, 741, 32)
    assert [(f.name, f.offset, f.datatype, f.count) for f in cloud_msg.fields] == \
        [("x", 0, 7, 1), ("y", 4, 7, 1), ("z", 8, 7, 1), ("rgb", 16, 7, 1)]
    assert cloud_msg.row_step == 32 * 741 and not cloud_msg.is_dense
    cloud = cloud_array(cloud_msg)
    np.testing.assert_array_equal(cloud["z"], depth)
    v, u = 250, 400
    assert cloud["x"][v, u] == pytest.approx((u - 311.193) * depth[v, u] / 994.978, rel=1e-5)
    assert cloud["y"][v, u] == pytest.approx((v - 254.877) * depth[v, u] / 994.978, rel=1e-5)
    np.testing.assert_array_equal(unpack_rgb(cloud["rgb"]), scene.left)
    assert node.stop(signal.SIGINT) == 0


def test_outputs_carry_the_left_camera_infos_header(start_node, client, scene):
    start_node({"approximate_sync": True})
    stream = client(ALL_OUTPUTS + ("confidence",))
    connect(stream, scene)
    assert scene.left_calibration.frame_id == "left_camera_optical_frame"
    for stamp in (90 * SECOND, 91 * SECOND):
        messages = stereo_input_messages(scene, stamp, right_stamp=stamp + 1_000_000)
        # the left image's header differs from the left camera info's in both fields
        messages[0].header = header_at(stamp - 2_000_000, "left_imager")
        for topic, message in zip(INPUT_TOPICS, messages):
            stream.publish_raw(topic, message)
    # the first set is certain once the second frame shows nothing closer can come
    outputs = ALL_OUTPUTS + ("confidence",)
    assert stream.spin_until(lambda: all(90 * SECOND in stream.received.messages.get(t, {})
                                         for t in outputs), 10)
    for topic in outputs:
        header = stream.received.messages[topic][90 * SECOND].header
        assert header.frame_id == "left_camera_optical_frame", topic
        assert (header.stamp.sec, header.stamp.nanosec) == (90, 0), topic


@pytest.mark.parametrize("use_color, avoid_padding, step, names", [
    (True, True, 16, ["x", "y", "z", "rgb"]),
    (False, False, 16, ["x", "y", "z"]),
    (False, True, 12, ["x", "y", "z"]),
])
def test_cloud_layouts(start_node, client, scene, use_color, avoid_padding, step, names):
    start_node({"use_color": use_color, "avoid_point_cloud_padding": avoid_padding})
    stream = client(["points2"])
    connect(stream, scene)
    assert send(stream, scene, 5 * SECOND, outputs=["points2"])
    message = stream.received.messages["points2"][5 * SECOND]
    assert message.point_step == step
    assert [f.name for f in message.fields] == names
    assert [f.offset for f in message.fields] == [0, 4, 8, 12][: len(names)]
    z = cloud_array(message)["z"]
    # the 20 px box at f = 400 px, T = 0.1 m is 2 m away
    assert np.median(z[IN_BOX]) == pytest.approx(2.0, rel=4e-3)


def test_qos_best_available_inputs_and_reliable_outputs(start_node, client, namespace, scene):
    start_node()
    stream = client()
    connect(stream, scene)
    # BEST_AVAILABLE resolved against the client's best-effort (sensor data) publishers
    inputs = stream.get_subscriptions_info_by_topic(f"{namespace}/left/image_rect")
    assert [i.qos_profile.reliability for i in inputs] == [ReliabilityPolicy.BEST_EFFORT]
    outputs = stream.get_publishers_info_by_topic(f"{namespace}/points2")
    assert [o.qos_profile.reliability for o in outputs] == [ReliabilityPolicy.RELIABLE]
    # depth is not announced by discovery: read it from the QoS override parameters
    depth = get_parameter(stream, namespace, f"qos_overrides.{namespace}/points2.publisher.depth")
    assert depth.integer_value == 1
    reliability = get_parameter(
        stream, namespace, f"qos_overrides.{namespace}/left/image_rect.subscription.reliability")
    assert reliability.string_value == "best_available"
    depth = get_parameter(
        stream, namespace, f"qos_overrides.{namespace}/right/camera_info.subscription.depth")
    assert depth.integer_value == 10


def test_use_system_default_qos_subscribes_with_the_system_default(start_node, client,
                                                                    namespace, scene):
    start_node({"use_system_default_qos": True})
    stream = client(["disparity"])
    connect(stream, scene)
    for topic in ("left/image_rect", "right/camera_info"):
        reliability = get_parameter(
            stream, namespace, f"qos_overrides.{namespace}/{topic}.subscription.reliability")
        assert reliability.string_value == "system_default"
    refused = set_parameters(stream, namespace, use_system_default_qos=False)[0]
    assert not refused.successful and "read-only" in refused.reason


def test_live_parameter_change_changes_the_output(start_node, client, namespace, scene):
    start_node()
    stream = client()
    connect(stream, scene)
    assert send(stream, scene, 10 * SECOND)
    before = stream.received.messages["disparity"][10 * SECOND]
    assert before.max_disparity == 63.0
    results = set_parameters(stream, namespace, min_disparity=16)
    assert results[0].successful
    assert send(stream, scene, 11 * SECOND)
    after = stream.received.messages["disparity"][11 * SECOND]
    assert (after.min_disparity, after.max_disparity) == (16.0, 79.0)
    background = disparity_from_message(after)[IN_BACKGROUND]
    assert np.isnan(background).mean() > 0.9  # its 10 px are now below the search range
    box = disparity_from_message(after)[IN_BOX]
    assert np.median(box) == pytest.approx(20.0, abs=1 / 16)


def test_navigation_outputs_switch_live(start_node, client, namespace, scene):
    start_node()
    stream = client()
    connect(stream, scene)
    assert set_parameters(stream, namespace, depth_in_millimetres=True, max_depth=3.0,
                          point_cloud_decimation=4, point_cloud_valid_only=True)[0].successful
    assert send(stream, scene, 12 * SECOND)
    depth = stream.received.messages["depth"][12 * SECOND]
    millimetres = array_from_image(depth)
    assert depth.encoding == "16UC1"
    assert np.median(millimetres[IN_BOX]) == pytest.approx(2000, abs=8)  # the box: 2 m
    assert (millimetres[IN_BACKGROUND] == 0).all()  # 4 m, beyond max_depth
    cloud = stream.received.messages["points2"][12 * SECOND]
    z = cloud_array(cloud)["z"]
    assert cloud.is_dense and cloud.height == 1 and 0 < cloud.width <= 60 * 80
    assert np.isfinite(z).all() and z.max() <= 3.0
    disparity = disparity_from_message(stream.received.messages["disparity"][12 * SECOND])
    assert np.nanmedian(disparity[IN_BACKGROUND]) == pytest.approx(10.0, abs=1 / 16)  # kept


def test_invalid_parameter_change_is_refused_and_old_value_kept(start_node, client, namespace,
                                                                scene):
    start_node()
    stream = client()
    connect(stream, scene)
    refused = set_parameters(stream, namespace, P2=100.0)[0]
    assert not refused.successful
    assert "'P2' = 100.0 must be greater than 'P1' = 200.0" in refused.reason
    off_step = set_parameters(stream, namespace, disparity_range=100)[0]
    assert not off_step.successful and off_step.reason
    assert get_parameter(stream, namespace, "P2").double_value == 400.0
    assert get_parameter(stream, namespace, "disparity_range").integer_value == 64
    assert send(stream, scene, 12 * SECOND)
    assert stream.received.messages["disparity"][12 * SECOND].max_disparity == 63.0


def test_bad_frames_are_dropped_and_the_next_good_one_processed(start_node, client, scene):
    node = start_node()
    stream = client()
    connect(stream, scene)
    narrow = scene.right[:, :300].copy()
    publish_frame(stream, dataclasses.replace(scene, right=narrow), 20 * SECOND)
    # no output for it, only the drop in the log (its reason is checked below)
    assert stream.spin_until(lambda: "dropped frame at 20.000000 s" in node.output(), 10)
    unknown = stereo_input_messages(scene, 21 * SECOND)
    unknown[0].encoding = unknown[2].encoding = "yuv422"  # both images
    for topic, message in zip(INPUT_TOPICS, unknown):
        stream.publish_raw(topic, message)
    assert send(stream, scene, 22 * SECOND), node.output()
    received = stream.received.messages["disparity"]
    assert 20 * SECOND not in received and 21 * SECOND not in received
    assert 22 * SECOND in received
    assert node.process.poll() is None
    log = node.output()
    assert "dropped frame at 20.000000 s: left image is 320x240 but right is 300x240" in log
    assert "dropped frame at 21.000000 s: image encoding 'yuv422' cannot be matched; use one " \
        "of mono8, mono16, rgb8, bgr8, rgba8, bgra8, 8UC1, 16UC1" in log


def test_a_calibration_without_depth_still_gives_the_disparity(start_node, client, scene):
    # As stereo_image_proc: the disparity needs no baseline; depth and the cloud are left
    # out, with the reason logged (once per reason and few seconds).
    node = start_node()
    stream = client()
    connect(stream, scene)
    broken = scene.right_calibration
    flipped = type(broken)(broken.width, broken.height, broken.P * [1, 1, 1, -1], broken.frame_id)
    for stamp in (30 * SECOND, 30 * SECOND + 1):
        publish_frame(stream, dataclasses.replace(scene, right_calibration=flipped), stamp)
        assert stream.spin_until(
            lambda s=stamp: s in stream.received.messages.get("disparity", {}), 10)
    assert send(stream, scene, 31 * SECOND)
    bad, good = (stream.received.messages["disparity"][s] for s in (30 * SECOND, 31 * SECOND))
    np.testing.assert_array_equal(array_from_image(bad.image), array_from_image(good.image))
    assert bad.t == pytest.approx(-0.1)  # T as computed from the flipped P[0,3], like upstream
    for output in ("depth", "points2"):
        assert 30 * SECOND not in stream.received.messages[output]
        assert 31 * SECOND in stream.received.messages[output]
    log = node.output()
    assert log.count("no depth for the frame at 30.000000 s (no points2; disparity "
                     "published): right P[0,3] = 40.0 gives baseline T = -P[0,3]/fx = "
                     "-0.1 m; it must be positive") == 1


def test_stereo_image_procs_loose_disparity_fixture_gets_a_disparity(start_node, client, scene):
    # image_pipeline's test_disparity_node.py: bgr8 images, an all-zero K, and
    # P = [1 0 1 0; 0 1 1 0; 0 0 1 0] for both cameras (so a zero baseline).
    node = start_node()
    stream = client()
    connect(stream, scene)
    header = header_at(40 * SECOND, "camera")
    info = CameraInfo(header=header, width=320, height=240, k=[0.0] * 9,
                      p=[1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
    left, right = (np.repeat(image[:, :, None], 3, axis=2) for image in (scene.left, scene.right))
    inputs = (image_message(left, "bgr8", header), info, image_message(right, "bgr8", header),
              info)
    for topic, message in zip(INPUT_TOPICS, inputs):
        stream.publish_raw(topic, message)
    assert stream.spin_until(
        lambda: 40 * SECOND in stream.received.messages.get("disparity", {}), 10), node.output()
    disparity = stream.received.messages["disparity"][40 * SECOND]
    expected = output_messages(StereoProcessor(MatcherParams()), *inputs, ["disparity"],
                               NodeSettings())["disparity"]
    np.testing.assert_array_equal(array_from_image(disparity.image),
                                  array_from_image(expected.image))
    assert (disparity.f, disparity.t, math.copysign(1.0, disparity.t)) == (1.0, 0.0, 1.0)
    assert stream.spin_until(lambda: "[WARN]" in node.output(), 5)
    for output in ("depth", "points2"):
        assert 40 * SECOND not in stream.received.messages.get(output, {})
    assert "no depth for the frame at 40.000000 s (no points2; disparity published): right " \
        "P[0,3] = 0.0 gives baseline T = -P[0,3]/fx = 0.0 m; it must be positive" in node.output()


def test_points_take_their_colours_from_image_rect_color_when_asked(start_node, client,
                                                                    scene):
    node = start_node({"use_image_rect_color": True})
    stream = client(["points2"])
    colour_topic = stream.create_publisher(Image, "left/image_rect_color",
                                           qos_profile_sensor_data)
    colour = np.stack([scene.left, 255 - scene.left, scene.left // 3], axis=2)  # R, G, B

    def publish(i):
        stamp = (50 + i) * SECOND
        colour_topic.publish(image_message(colour, "rgb8",
                                           header_at(stamp, "left_camera_optical_frame")))
        publish_frame(stream, scene, stamp)

    assert publish_until(stream, publish, lambda: stream.received.count("points2") > 0, 30), \
        node.output()
    cloud = next(iter(stream.received.messages["points2"].values()))
    points, rgb = points_from_cloud_message(cloud)
    np.testing.assert_array_equal(rgb, colour)  # not the grey left image
    assert np.median(points[IN_BOX][..., 2]) == pytest.approx(2.0, rel=4e-3)
    assert "/left/image_rect_color; exact sync" in node.output()


def test_approximate_sync_pairs_skewed_stamps(start_node, client, scene):
    start_node({"approximate_sync": True, "approximate_sync_tolerance_seconds": 0.01})
    stream = client(["disparity"])
    connect(stream, scene)
    stamps = [40 * SECOND + i * SECOND // 10 for i in range(4)]
    received = stream.received.messages
    for previous, stamp in zip([None, *stamps], stamps):
        publish_frame(stream, scene, stamp, right_stamp=stamp + 3_000_000)
        # a set is certain once the next frame shows no closer stamp can come: so each frame
        # but the last is answered once the one after it is sent
        if previous is not None:
            assert stream.spin_until(
                lambda s=previous: s in received.get("disparity", {}), 10), previous
    assert set(received["disparity"]) == set(stamps[:-1])


def test_exact_sync_refuses_skewed_stamps_and_says_why(start_node, client, scene):
    node = start_node()
    stream = client(["disparity"])
    connect(stream, scene)

    def skewed(i):
        stamp = 50 * SECOND + i * SECOND // 5
        publish_frame(stream, scene, stamp, right_stamp=stamp + 3_000_000)

    # skewed frames at 5 Hz until the node warns, which it does after 3 s of inputs without a
    # set: by then none has been answered for 3 s
    warned = publish_until(stream, skewed, lambda: "no synchronized set" in node.output(), 30)
    assert warned, node.output()
    assert stream.received.count("disparity") == 0
    log = node.output()
    assert "no synchronized set" in log
    assert "newest stamps differ by 3.0 ms" in log
    assert "set approximate_sync to true" in log


def test_inputs_are_subscribed_only_while_an_output_has_a_subscriber(start_node, client,
                                                                     namespace, scene):
    from stereo_depth_node.testing.stream_client import StereoStreamClient

    node = start_node()
    stream = client(outputs=())  # publishes the inputs, subscribes to nothing
    topic = f"{namespace}/left/image_rect"

    def subscriptions():
        return len(stream.get_subscriptions_info_by_topic(topic))

    assert stream.spin_until(lambda: "waiting for a subscriber to disparity, depth, points2 or "
                             "confidence before subscribing to the inputs" in node.output(), 30)
    stream.spin_until(lambda: False, 1.0)
    assert subscriptions() == 0  # nobody wants an output: the camera's images are not taken
    listener = StereoStreamClient(["disparity"], namespace=namespace, name="listener")
    try:
        assert stream.spin_until(lambda: subscriptions() == 1, 30), node.output()
        assert publish_until(listener, lambda i: publish_frame(stream, scene, (30 + i) * SECOND),
                             lambda: listener.received.count("disparity") > 0, 30)
    finally:
        listener.destroy_node()
    assert stream.spin_until(lambda: subscriptions() == 0, 30), node.output()
    log = node.output()
    assert log.count("disparity has a subscriber: subscribed to " + topic) == 1
    assert log.count("no subscriber to disparity, depth, points2 or confidence any more: "
                     "unsubscribed from the inputs") == 1
    # and back: a new subscriber subscribes the inputs again
    again = client(["depth"])
    assert stream.spin_until(lambda: subscriptions() == 1, 30)
    assert again.spin_until(again.connected, 30)
    assert node.output().count("depth has a subscriber: subscribed to") == 1


@pytest.mark.parametrize("queue_size, burst", [(2, 12), (12, 9)])
def test_a_burst_keeps_its_order_and_skips_the_oldest_beyond_queue_size_waiting_sets(
        start_node, client, namespace, scene, queue_size, burst):
    # SGBM over 256 px is slower than frames published back to back: the node falls behind.
    # queue_size sets may wait for the matcher; more skip the oldest waiting one.
    node = start_node({"stereo_algorithm": 1, "disparity_range": 256,
                       "diagnostics_period_seconds": 0.5, "queue_size": queue_size})
    stream = client(["disparity"])
    seen = statuses(stream, namespace)
    connect(stream, scene)
    # (a burst within the inputs' depth of 10 messages each)
    stamps = [(100 + i) * SECOND for i in range(burst)]
    for stamp in stamps:
        publish_frame(stream, scene, stamp)
    # the newest set is never displaced: it comes out
    assert stream.spin_until(lambda: stamps[-1] in stream.received.messages.get("disparity", {}),
                             60), \
        node.output()
    stream.spin_until(lambda: False, 1.5)  # the diagnostics period that saw the burst
    arrived = stream.received.arrival["disparity"]
    in_arrival_order = [stamp for _, stamp in sorted((arrived[s], s) for s in stamps
                                                     if s in arrived)]
    assert in_arrival_order == sorted(in_arrival_order)
    skipped = sum(int(value_of(s, "frames skipped: processing behind the inputs")) for s in seen)
    if queue_size == 2:
        assert skipped > 0 and len(in_arrival_order) + skipped <= len(stamps), \
            (in_arrival_order, skipped)
    else:  # the whole burst waits, and all of it comes out
        assert skipped == 0 and in_arrival_order == stamps, (in_arrival_order, skipped)


def test_inputs_are_reliable_for_a_reliable_camera_and_renewed_for_a_best_effort_one(
        start_node, namespace, scene):
    import rclpy
    from rclpy.qos import QoSProfile
    from stereo_msgs.msg import DisparityImage

    from stereo_depth_node.ros.messages import INPUT_TYPES
    from stereo_depth_node.testing.stream_client import spin_until

    node = start_node()
    camera = rclpy.create_node("reliable_camera", namespace=namespace)
    late = rclpy.create_node("best_effort_camera", namespace=namespace)
    try:
        answered = set()
        camera.create_subscription(DisparityImage, "disparity",
                                   lambda m: answered.add(m.header.stamp.sec), 10)
        reliable = [camera.create_publisher(kind, topic, QoSProfile(depth=10))
                    for topic, kind in zip(INPUT_TOPICS, INPUT_TYPES)]
        assert spin_until(camera, lambda: all(p.get_subscription_count() for p in reliable), 30)
        inputs = camera.get_subscriptions_info_by_topic(f"{namespace}/left/image_rect")
        assert [i.qos_profile.reliability for i in inputs] == [ReliabilityPolicy.RELIABLE]
        assert publish_until(camera, lambda i: [p.publish(m) for p, m in zip(
            reliable, stereo_input_messages(scene, 5 * SECOND))], lambda: 5 in answered, 30)
        # A best-effort camera joins: the reliable subscriptions cannot hear it, so they are
        # made again, best effort; both cameras are heard.
        best_effort = [late.create_publisher(kind, topic, qos_profile_sensor_data)
                       for topic, kind in zip(INPUT_TOPICS, INPUT_TYPES)]
        assert spin_until(camera, lambda: "a best-effort publisher appeared on left/image_rect: "
                          "subscribed again, best effort, to hear it" in node.output(), 30)
        assert publish_until(camera, lambda i: [p.publish(m) for p, m in zip(
            best_effort, stereo_input_messages(scene, 6 * SECOND))], lambda: 6 in answered, 30)
        assert publish_until(camera, lambda i: [p.publish(m) for p, m in zip(
            reliable, stereo_input_messages(scene, 7 * SECOND))], lambda: 7 in answered, 30)
        inputs = camera.get_subscriptions_info_by_topic(f"{namespace}/left/image_rect")
        assert [i.qos_profile.reliability for i in inputs] == [ReliabilityPolicy.BEST_EFFORT]
        assert "incompatible" not in node.output()
    finally:
        node.stop()
        camera.destroy_node()
        late.destroy_node()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signals_shut_down_cleanly(start_node, client, scene, sig):
    node = start_node()
    stream = client(["disparity"])
    connect(stream, scene)
    assert node.stop(sig) == 0, node.output()


@pytest.mark.parametrize("parameters, message", [
    ({"disparity_range": 100}, "disparity_range"),
    ({"P1": 500.0}, "'P2' = 400.0 must be greater than 'P1' = 500.0"),
])
def test_invalid_start_up_parameters_stop_the_node_with_the_reason(start_node, parameters,
                                                                   message):
    node = start_node(parameters)
    assert node.process.wait(30) != 0
    assert message in node.output()


def test_quality_stages_switch_live_and_confidence_is_published(start_node, client, namespace,
                                                                scene):
    start_node()
    stream = client(["disparity", "confidence"])
    connect(stream, scene)
    assert send(stream, scene, 70 * SECOND, outputs=["disparity", "confidence"])
    band = (slice(20, 220), slice(12, 60))  # left of min_disparity + disparity_range
    before = disparity_from_message(stream.received.messages["disparity"][70 * SECOND])
    assert np.isnan(before[band]).all()
    confidence = stream.received.messages["confidence"][70 * SECOND]
    assert confidence.encoding == "32FC1" and confidence.header.stamp.sec == 70
    values = array_from_image(confidence)
    assert (values[np.isnan(before)] == 0).all()
    assert np.median(values[np.isfinite(before)]) > 0.5

    results = set_parameters(stream, namespace, border_matching=True, fill_holes=True)
    assert all(r.successful for r in results)
    assert send(stream, scene, 71 * SECOND, outputs=["disparity"])
    after = disparity_from_message(stream.received.messages["disparity"][71 * SECOND])
    assert np.isfinite(after[band]).all()
    assert np.median(after[100:140, 20:60]) == pytest.approx(10.0, abs=1 / 16)
    refused = set_parameters(stream, namespace, downsample=3)[0]
    assert not refused.successful and "one of 1, 2, 4" in refused.reason
    assert set_parameters(stream, namespace, downsample=2)[0].successful
    assert send(stream, scene, 72 * SECOND, outputs=["disparity"])
    halved = stream.received.messages["disparity"][72 * SECOND]
    assert halved.delta_d == 2 / 16  # matched at half size: 1/16 px there is 1/8 px here
    window = DenseMatcher(MatcherParams(border_matching=True, fill_holes=True,
                                        downsample=2)).valid_window(320, 240)
    assert (halved.valid_window.x_offset, halved.valid_window.width) == (window.x_offset,
                                                                         window.width)


def test_frames_opencv_refuses_are_dropped_and_time_may_jump_back(start_node, client, scene):
    node = start_node()
    stream = client(["disparity"])
    connect(stream, scene)
    tiny = make_tiny_scene()
    publish_frame(stream, tiny, 80 * SECOND)
    assert send(stream, scene, 81 * SECOND, outputs=["disparity"])
    assert 80 * SECOND not in stream.received.messages["disparity"]
    assert "dropped frame at 80.000000 s: OpenCV cannot match a 40x12 pair" in node.output()
    # a replay that starts over: stamps 60 s back are processed, not ignored
    assert send(stream, scene, 21 * SECOND, outputs=["disparity"])
    assert node.process.poll() is None
    assert "input stamps jumped back" in node.output()


def test_a_camera_missing_after_time_jumps_back_is_reported_not_fatal(start_node, client, scene):
    node = start_node()
    stream = client(["disparity"])
    connect(stream, scene)
    assert send(stream, scene, 100 * SECOND, outputs=["disparity"])
    # a simulator restarts at 10 s, but only the left camera comes back
    left_only = stereo_input_messages(scene, 10 * SECOND)[0]
    missing = ("nothing arrived on left/camera_info, right/image_rect, right/camera_info since "
               "stamps jumped back")
    # the node says so after 3 s of inputs without a set
    assert publish_until(stream, lambda i: stream.publish_raw("left/image_rect", left_only),
                         lambda: missing in node.output(), 30), node.output()
    assert node.process.poll() is None
    assert missing in node.output()
    assert send(stream, scene, 11 * SECOND, outputs=["disparity"])  # and it recovers
