# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The ``stereo_depth_node`` ROS 2 node: plumbing around :class:`StereoProcessor`.

Subscribes ``left/image_rect``, ``left/camera_info``, ``right/image_rect``,
``right/camera_info``; publishes ``disparity`` (``stereo_msgs/DisparityImage``),
``depth`` (REP 118, 32FC1 metres), ``points2`` (organized ``PointCloud2``) and
``confidence`` (32FC1, 0..1), each only while someone subscribes to it.
Topic and parameter names, defaults and message semantics follow
``stereo_image_proc``'s ``disparity_node`` and ``point_cloud_node``.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import rclpy
from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import (
    QoSProfile,
    ReliabilityPolicy,
    qos_profile_sensor_data,
    qos_profile_system_default,
)
from rclpy.qos_overriding_options import QoSOverridingOptions
from sensor_msgs.msg import CameraInfo, Image

from stereo_depth_node.core.parameters import (
    PARAMETERS,
    MatcherParams,
    NodeSettings,
    ParameterSpec,
)
from stereo_depth_node.core.point_cloud import cloud_layout
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.core.synchronizer import (
    ApproximateTimeSynchronizer,
    ExactTimeSynchronizer,
    make_synchronizer,
)
from stereo_depth_node.ros.memory import keep_large_buffers
from stereo_depth_node.ros.messages import (
    INPUT_TOPICS,
    INPUT_TYPES,
    OUTPUT_TYPES,
    output_messages,
    stamp_ns,
)

NO_SYNC_WARNING_SECONDS = 3.0
LOG_THROTTLE_SECONDS = 5.0


def _descriptor_from_spec(spec: ParameterSpec) -> ParameterDescriptor:
    descriptor = ParameterDescriptor(description=f"{spec.description} Allowed: {spec.allowed()}.",
                                     read_only=spec.read_only)
    if spec.type is bool:
        return descriptor
    if spec.type is int:
        descriptor.integer_range = [IntegerRange(from_value=spec.minimum, to_value=spec.maximum,
                                                 step=spec.step)]
    else:
        descriptor.floating_point_range = [FloatingPointRange(from_value=spec.minimum,
                                                              to_value=spec.maximum)]
    return descriptor


class StereoDepthNode(Node):
    """Disparity, depth and point cloud from a rectified stereo pair."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("stereo_depth_node", **kwargs)
        for spec in PARAMETERS.values():
            self.declare_parameter(spec.name, spec.default, _descriptor_from_spec(spec))

        params, self._settings = self._parameters_with({})
        self._processor = StereoProcessor(params)
        self._synchronizer = self._make_synchronizer()
        output_qos = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
        overrides = QoSOverridingOptions.with_default_policies()
        self._outputs = {name: self.create_publisher(msg_type, name, output_qos,
                                                     qos_overriding_options=overrides)
                         for name, msg_type in OUTPUT_TYPES.items()}
        input_qos = qos_profile_system_default if self._settings.use_system_default_qos \
            else qos_profile_sensor_data
        for index, (topic, msg_type) in enumerate(zip(INPUT_TOPICS, INPUT_TYPES)):
            self.create_subscription(
                msg_type, topic, lambda msg, i=index: self._on_input(i, msg),
                input_qos, qos_overriding_options=overrides)

        # Registered after the QoS override parameters are declared, so only changes count.
        self.add_on_set_parameters_callback(self._validate_parameters)
        self.add_post_set_parameters_callback(self._apply_parameters)

        self._last_set_time = time.monotonic()
        self._last_arrival_time: float | None = None
        self._waiting_logged = False
        self._frames_dropped = 0
        self._last_drop: tuple[str, float] | None = None  # reason, when it was logged
        self.create_timer(1.0, self._check_synchronization)
        self.get_logger().info(
            f"subscribed to {', '.join(self.resolve_topic_name(t) for t in INPUT_TOPICS)}; "
            f"{'approximate' if self._settings.approximate_sync else 'exact'} sync")

    # ---------------------------------------------------------------- parameters
    def _parameters_with(self, changes: dict[str, Any]) -> tuple[MatcherParams, NodeSettings]:
        """Both parameter sets: the values in force, with ``changes`` applied."""
        values = {name: self.get_parameter(name).value for name in PARAMETERS}
        values.update(changes)
        return MatcherParams.from_mapping(values), NodeSettings.from_mapping(values)

    def _make_synchronizer(self) -> ExactTimeSynchronizer | ApproximateTimeSynchronizer:
        settings = self._settings
        return make_synchronizer(len(INPUT_TOPICS), settings.queue_size,
                                 settings.approximate_sync,
                                 settings.approximate_sync_tolerance_seconds)

    def _validate_parameters(self, parameters: list[Parameter]) -> SetParametersResult:
        changes = {p.name: p.value for p in parameters}
        try:
            self._parameters_with(changes)
        except ValueError as error:
            self.get_logger().warning(f"rejected parameter change: {error}")
            return SetParametersResult(successful=False, reason=str(error))
        return SetParametersResult(successful=True)

    def _apply_parameters(self, parameters: list[Parameter]) -> None:
        params, self._settings = self._parameters_with({})
        changed = [PARAMETERS[p.name] for p in parameters if p.name in PARAMETERS]
        if any(spec.rebuilds_synchronizer for spec in changed):
            self._synchronizer = self._make_synchronizer()
        if params != self._processor.params:
            self._processor.set_params(params)
        self.get_logger().info(
            "parameters changed: " + ", ".join(f"{p.name}={p.value}" for p in parameters))

    # ---------------------------------------------------------------- inputs
    def _on_input(self, index: int, message: Image | CameraInfo) -> None:
        self._last_arrival_time = time.monotonic()
        jumps = self._synchronizer.stats.time_jumps
        matched = self._synchronizer.add(index, stamp_ns(message.header), message)
        if self._synchronizer.stats.time_jumps != jumps:
            self.get_logger().warning(
                f"input stamps jumped back to {stamp_ns(message.header) / 1e9:.3f} s "
                "(a replay restarted?): synchronization starts afresh")
        if matched is not None:
            self._last_set_time = time.monotonic()
            self._process(*matched)

    def _check_synchronization(self) -> None:
        now = time.monotonic()
        if self._last_arrival_time is None or now - self._last_arrival_time > \
                NO_SYNC_WARNING_SECONDS or now - self._last_set_time < NO_SYNC_WARNING_SECONDS:
            return
        stats = self._synchronizer.stats
        counts = ", ".join(f"{topic} {n}" for topic, n in zip(INPUT_TOPICS, stats.received))
        advice = stats.why_no_sets(INPUT_TOPICS, self._settings.approximate_sync)
        self.get_logger().warning(
            f"inputs arrive but no synchronized set for {now - self._last_set_time:.0f} s "
            f"(received: {counts}); {advice}", throttle_duration_sec=LOG_THROTTLE_SECONDS)

    def _report_dropped_frame(self, stamp: int, reason: str) -> None:
        """Log a dropped frame: a new reason at once, a repeated one every few seconds."""
        self._frames_dropped += 1
        now = time.monotonic()
        if self._last_drop is not None and self._last_drop[0] == reason and \
                now - self._last_drop[1] < LOG_THROTTLE_SECONDS:
            return
        self._last_drop = (reason, now)
        self.get_logger().error(f"dropped frame at {stamp / 1e9:.6f} s: {reason} "
                                f"({self._frames_dropped} dropped so far)")

    # ---------------------------------------------------------------- processing
    def _process(self, left_image: Image, left_info: CameraInfo, right_image: Image,
                 right_info: CameraInfo) -> None:
        wanted = [name for name, pub in self._outputs.items() if pub.get_subscription_count() > 0]
        if not wanted:
            if not self._waiting_logged:
                self.get_logger().info(
                    "no subscriber to disparity, depth, points2 or confidence: waiting")
                self._waiting_logged = True
            return
        self._waiting_logged = False
        layout = cloud_layout(self._settings.use_color, self._settings.avoid_point_cloud_padding)
        try:
            messages = output_messages(self._processor, left_image, left_info, right_image,
                                       right_info, wanted, layout)
        except ValueError as error:
            self._report_dropped_frame(stamp_ns(left_info.header), str(error))
            return
        except Exception as error:  # a defect must not take the node down with it
            self._report_dropped_frame(stamp_ns(left_info.header),
                                       f"unexpected {type(error).__name__}: {error}")
            return
        for name, message in messages.items():
            self._outputs[name].publish(message)


def main(args: list[str] | None = None) -> int:
    """Run the node until SIGINT or SIGTERM; exit code 0 on a clean shutdown."""
    keep_large_buffers()
    rclpy.init(args=args)
    try:
        node = StereoDepthNode()
    except Exception as error:  # invalid parameters given at start-up
        rclpy.logging.get_logger("stereo_depth_node").fatal(f"cannot start: {error}")
        rclpy.try_shutdown()
        return 1
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception:
        # A signal can shut the context down while the executor builds its wait
        # set; rclpy then raises a generic RCLError instead of the shutdown exception.
        if node.context.ok():
            raise
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
