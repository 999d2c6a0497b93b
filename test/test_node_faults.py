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

from helpers import (
    SECOND,
    connect,
    get_parameter,
    publish_frame,
    raw_request,
    send,
    set_parameters,
    statuses,
    value_of,
)

pytestmark = pytest.mark.ros


def test_parameter_requests_of_no_parameter_type_are_refused_with_one_warning(
        start_node, client, namespace, box_scene):
    node = start_node()
    stream = client()
    connect(stream, box_scene)
    allowed = ("the types are 0 (not_set), 1 (bool), 2 (integer), 3 (double), 4 (string), "
               "5 (byte_array), 6 (bool_array), 7 (integer_array), 8 (double_array), "
               "9 (string_array)")
    for service_type in (SetParameters, SetParametersAtomically):
        for value_type in (10, 99, 255):
            response = raw_request(stream, namespace, service_type, value_type)
            assert response is not None, f"no answer to {service_type.__name__} {value_type}"
            [result] = response.results if service_type is SetParameters else [response.result]
            assert not result.successful
            assert result.reason == (f"parameter 'queue_size': value type {value_type} is not a "
                                     f"parameter type; {allowed}")
    log = node.output()
    assert "Traceback" not in log and "callback failed" not in log, log
    # One warning line for each kind of request (repeats within 5 s are not logged again).
    for service in ("set_parameters", "set_parameters_atomically"):
        assert log.count(f"refused a {service} request: parameter 'queue_size': value type "
                         "10 is not a parameter type; ") == 1, log
    # Still serving: a valid change applies, the next frame comes out.
    assert get_parameter(stream, namespace, "queue_size").integer_value == 10
    assert set_parameters(stream, namespace, queue_size=7)[0].successful
    assert get_parameter(stream, namespace, "queue_size").integer_value == 7
    assert send(stream, box_scene, 50 * SECOND)


def test_a_set_parameters_request_refuses_only_its_malformed_parameters(start_node, client,
                                                                        namespace):
    start_node()
    stream = client()
    service = stream.create_client(SetParameters, f"{namespace}/stereo_depth_node/set_parameters")
    assert service.wait_for_service(10.0)
    request = SetParameters.Request(parameters=[
        ParameterMessage(name="queue_size", value=ParameterValue(type=2, integer_value=8)),
        ParameterMessage(name="speckle_size", value=ParameterValue(type=42, integer_value=1)),
        ParameterMessage(name="use_color", value=ParameterValue(type=1, bool_value=False))])
    future = service.call_async(request)
    rclpy.spin_until_future_complete(stream, future, timeout_sec=10.0)
    results = future.result().results
    assert [r.successful for r in results] == [True, False, True]
    assert results[1].reason.startswith("parameter 'speckle_size': value type 42 is not a "
                                        "parameter type; the types are 0 (not_set)")
    assert get_parameter(stream, namespace, "queue_size").integer_value == 8
    assert get_parameter(stream, namespace, "use_color").bool_value is False


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
