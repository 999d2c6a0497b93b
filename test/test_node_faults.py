# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Requests and calibrations that must not end or fool the node, and what /diagnostics says."""

import dataclasses

import numpy as np
import pytest
import rclpy
from diagnostic_msgs.msg import DiagnosticStatus
from rcl_interfaces.msg import Parameter as ParameterMessage
from rcl_interfaces.msg import ParameterValue
from rcl_interfaces.srv import SetParameters, SetParametersAtomically

from stereo_depth_node.core.geometry import CameraCalibration
from stereo_depth_node.ros.messages import array_from_image

from helpers import SECOND, connect, publish_frame, send, set_parameters, statuses, value_of

pytestmark = pytest.mark.ros


def raw_request(stream, namespace, service_type, value_type):
    """Send one parameter request whose value type is ``value_type``; the response or None."""
    client = stream.create_client(service_type,
                                  f"{namespace}/stereo_depth_node/{service_type.__name__.lower()}"
                                  .replace("setparametersatomically", "set_parameters_atomically")
                                  .replace("setparameters", "set_parameters"))
    assert client.wait_for_service(10.0)
    request = service_type.Request(parameters=[ParameterMessage(
        name="queue_size", value=ParameterValue(type=value_type, integer_value=7))])
    future = client.call_async(request)
    rclpy.spin_until_future_complete(stream, future, timeout_sec=1.0)
    stream.destroy_client(client)
    return future.result() if future.done() else None


def test_parameter_requests_of_no_parameter_type_do_not_end_the_node(start_node, client,
                                                                    namespace, box_scene):
    node = start_node()
    stream = client()
    connect(stream, box_scene)
    for service_type in (SetParameters, SetParametersAtomically):
        for value_type in (10, 99, 255, 10):
            response = raw_request(stream, namespace, service_type, value_type)
            assert response is None or not all(r.successful for r in
                                               getattr(response, "results", [response.result]))
            assert node.process.poll() is None, node.output()
    log = node.output()
    # Logged with its traceback the first time, then counted (at most every 5 s per kind).
    assert log.count("a callback failed, the node goes on: ValueError: 10 is not a valid "
                     "Parameter.Type\nTraceback") == 1, log
    assert log.count("Traceback (most recent call last)") == 1
    assert "a callback failed again (2 times so far): ValueError: 99 is not a valid " \
           "Parameter.Type" in log
    # Still serving: a valid change applies, the next frame comes out.
    assert set_parameters(stream, namespace, queue_size=7)[0].successful
    assert send(stream, box_scene, 50 * SECOND)


@pytest.mark.parametrize("name, value, reason", [
    ("", 1, "no parameter named ''"),  # rclpy lets an empty name through: the node refuses it
    ("no_such_parameter", 1, "undeclared parameter"),  # rclpy refuses this one itself
    # rclpy's range check has a tolerance at the edges; the node's own is exact.
    ("approximate_sync_tolerance_seconds", 3600.0018,
     "parameter 'approximate_sync_tolerance_seconds' = 3600.0018 is not allowed: 0.0..3600.0"),
    ("queue_size", 0, "out of range. Min: 1, Max: 1000"),
])
def test_undeclared_names_and_values_beyond_a_range_are_refused(start_node, client, namespace,
                                                                name, value, reason):
    node = start_node()
    stream = client()
    [result] = set_parameters(stream, namespace, **{name: value})
    assert not result.successful and reason in result.reason
    assert node.process.poll() is None


def replaced_right_p(scene, **entries):
    right = scene.right_calibration
    projection = right.P.copy()
    for key, value in entries.items():
        projection[int(key[1]), int(key[2])] = value
    return dataclasses.replace(scene, right_calibration=CameraCalibration(
        right.width, right.height, projection, right.frame_id))


@pytest.mark.parametrize("entries, reason", [
    ({"p11": 0.0}, "right P[1,1] (fy) = 0.0 must be positive"),
    ({"p11": -400.0}, "right P[1,1] (fy) = -400.0 must be positive"),
    ({"p00": 420.0}, "left and right P[0,0] (fx) are 400.0 and 420.0"),
    ({"p12": 130.0}, "left and right P[1,2] (cy) are 119.5 and 130.0"),
    ({"p13": -8.0}, "right P[1,3] = -8.0: the right camera is offset vertically"),
    ({"p00": 1e39}, "right P[0,0] (fx) = 1e+39 px is beyond what float32 depth can hold"),
])
def test_calibrations_without_depth_keep_the_disparity_and_say_why(start_node, client,
                                                                   box_scene, entries, reason):
    node = start_node()
    stream = client()
    connect(stream, box_scene)
    publish_frame(stream, replaced_right_p(box_scene, **entries), 60 * SECOND)
    assert stream.spin_until(lambda: 60 * SECOND in stream.received.messages.get("disparity", {}),
                             10)
    assert send(stream, box_scene, 61 * SECOND)  # the good frame after it: every output
    bad, good = (stream.received.messages["disparity"][s] for s in (60 * SECOND, 61 * SECOND))
    np.testing.assert_array_equal(array_from_image(bad.image), array_from_image(good.image))
    assert 60 * SECOND not in stream.received.messages["depth"]
    assert 60 * SECOND not in stream.received.messages["points2"]
    log = node.output()
    assert f"no depth for the frame at 60.000000 s (no points2; disparity published): " \
           f"{reason}" in log
    assert "RuntimeWarning" not in log and "Traceback" not in log


def test_diagnostics_report_rates_timing_and_the_level(start_node, client, namespace, box_scene):
    node = start_node({"diagnostics_period_seconds": 0.5, "no_sync_warning_seconds": 0.5})
    stream = client()
    seen = statuses(stream, namespace)
    connect(stream, box_scene)
    # Frames at 10 Hz for two periods: OK, with rates, processing time and latency.
    for index in range(15):
        assert send(stream, box_scene, (70 + index) * SECOND // 10 * 10)
        stream.spin_until(lambda: False, 0.1)
    ok = [s for s in seen if s.level == DiagnosticStatus.OK and s.message.endswith("processed")]
    assert ok, [(s.level, s.message) for s in seen]
    status = ok[-1]
    assert 4.0 <= float(value_of(status, "synchronized sets (Hz)")) <= 12.0
    assert 4.0 <= float(value_of(status, "input rate left/image_rect (Hz)")) <= 12.0
    assert float(value_of(status, "output rate points2 (Hz)")) > 0
    assert 0 < float(value_of(status, "processing time p50 (ms)")) <= \
        float(value_of(status, "processing time max (ms)"))
    assert float(value_of(status, "latency p50 (ms)")) > 0
    assert value_of(status, "sync skew max (ms)") == "0.0"  # exact stamps
    assert status.hardware_id == "left_camera_optical_frame"
    # Only left images: inputs arrive but no set forms: WARN.
    left_only = dataclasses.replace(box_scene)
    for index in range(12):
        stream.publish_raw("left/image_rect", _left_image(left_only, (90 + index) * SECOND))
        stream.spin_until(lambda: False, 0.1)
    assert any(s.level == DiagnosticStatus.WARN and
               s.message.startswith("inputs arrive but no synchronized set") for s in seen)
    # Every frame fails (images of different sizes): ERROR, with the reason.
    narrow = box_scene.right[:, :300]
    for index in range(8):
        publish_frame(stream, dataclasses.replace(box_scene, right=narrow), (100 + index) * SECOND)
        stream.spin_until(lambda: False, 0.1)
    errors = [s for s in seen if s.level == DiagnosticStatus.ERROR]
    assert errors and errors[-1].message.startswith("every frame failed")
    assert any(item.key.startswith("dropped: left image is 320x240 but right is 300x240")
               for item in errors[-1].values)
    assert node.process.poll() is None


def _left_image(scene, stamp):
    from stereo_depth_node.testing.frames import stereo_input_messages

    return stereo_input_messages(scene, stamp)[0]
