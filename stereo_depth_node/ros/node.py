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

import functools
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from typing import Any

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.event_handler import PublisherEventCallbacks, QoSPublisherMatchedInfo
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.qos_overriding_options import QoSOverridingOptions
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import CameraInfo, Image
from std_msgs.msg import Header

from stereo_depth_node.core.delivery import LaggingInput
from stereo_depth_node.core.handoff import Handoff
from stereo_depth_node.core.parameters import (
    MatcherParams,
    NodeSettings,
    ParameterSpec,
)
from stereo_depth_node.core.processor import StereoFrame, StereoProcessor
from stereo_depth_node.core.rectification import Rectifier
from stereo_depth_node.core.synchronizer import (
    ApproximateTimeSynchronizer,
    ExactTimeSynchronizer,
    make_synchronizer,
)
from stereo_depth_node.ros.config_files import config_file
from stereo_depth_node.ros.dds_profile import FASTDDS_PROFILE, use_package_profile
from stereo_depth_node.ros.diagnostics import NodeHealth, lagging_message, loss_explanation
from stereo_depth_node.ros.inputs import InputSubscriptions
from stereo_depth_node.ros.memory import keep_large_buffers, release_free_memory
from stereo_depth_node.ros.messages import (
    OUTPUT_TYPES,
    CloudBuffer,
    depth_refusal_for,
    frame_messages,
    stamp_ns,
)
from stereo_depth_node.ros.parameter_requests import CheckedParameterService
from stereo_depth_node.ros.roles import (
    DISPARITY_ONLY,
    POINT_CLOUD,
    ROLES,
    STEREO_DEPTH,
    NodeRole,
)

LOG_THROTTLE_SECONDS = 5.0
MAX_REMEMBERED_REASONS = 256  # kinds of reasons whose last log time is kept

_VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|[-+]?\d+(?:\.\d*)?(?:e[-+]?\d+)?(?:x\d+)?")


def _either(names: list[str]) -> str:
    """``a, b or c``."""
    return " or ".join(filter(None, [", ".join(names[:-1]), names[-1]]))


def reason_kind(reason: str) -> str:
    """``reason`` with its values (numbers, sizes, quoted names) replaced by ``#``."""
    return _VALUES.sub("#", reason)


def _descriptor_from_spec(spec: ParameterSpec) -> ParameterDescriptor:
    descriptor = ParameterDescriptor(description=f"{spec.description} Allowed: {spec.allowed()}.",
                                     read_only=spec.read_only)
    if spec.type in (bool, str):
        return descriptor
    if spec.type is int:
        descriptor.integer_range = [IntegerRange(from_value=spec.minimum, to_value=spec.maximum,
                                                 step=spec.step)]
    else:
        descriptor.floating_point_range = [FloatingPointRange(from_value=spec.minimum,
                                                              to_value=spec.maximum)]
    return descriptor


class StereoDepthNode(Node):
    """Disparity, depth and point cloud from a rectified stereo pair, or one of them.

    ``role`` (see :mod:`stereo_depth_node.ros.roles`) says what the node
    subscribes, publishes, declares and computes: by default all of it.
    """

    def __init__(self, role: NodeRole = STEREO_DEPTH, **kwargs: Any) -> None:
        super().__init__(role.node_name, start_parameter_services=False, **kwargs)
        self._role = role
        self._last_logged: dict[str, float] = {}  # message kind + reason -> when logged
        self._parameter_requests = CheckedParameterService(
            self, lambda line: self._log_throttled("parameter request", line, line, warning=True))
        for spec in role.parameters.values():
            self.declare_parameter(spec.name, spec.default, _descriptor_from_spec(spec))

        params, self._settings = self._parameters_with({})
        self._input_topics, input_types = role.inputs(self._settings)
        self._processor = StereoProcessor(params)
        # rectify: raw images, rectified in the matching thread with maps kept per calibration
        self._rectifier = Rectifier() if self._settings.rectify else None
        self._synchronizer = self._make_synchronizer()
        overrides = QoSOverridingOptions.with_default_policies()
        # Subscribers per output, from the publishers' matched events: the inputs are
        # subscribed only while some output has one (see _on_output_matched).
        outputs = role.outputs_with(self._settings)
        self._matched = {name: 0 for name in outputs}
        self._outputs = {
            name: self.create_publisher(
                msg_type, name, QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE),
                qos_overriding_options=overrides,
                event_callbacks=PublisherEventCallbacks(
                    matched=functools.partial(self._on_output_matched, name)))
            for name, msg_type in OUTPUT_TYPES.items() if name in outputs}
        self._inputs = InputSubscriptions(self, self._input_topics, input_types,
                                          self._settings.use_system_default_qos, self._on_input)

        # Registered after the QoS override parameters are declared, so only changes count.
        self.add_on_set_parameters_callback(self._validate_parameters)
        self.add_post_set_parameters_callback(self._apply_parameters)

        self._last_set_time = time.monotonic()
        self._last_arrival_time: float | None = None
        self._callback_failures: Counter[str] = Counter()
        self._health = NodeHealth(f"{self.get_fully_qualified_name()}: stereo processing",
                                  self._input_topics, list(self._outputs))
        self._diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics",
                                                  QoSProfile(depth=10))
        self._last_report = time.monotonic()
        self._sync_dropped_reported = 0
        self.create_timer(self._settings.diagnostics_period_seconds, self._publish_diagnostics)
        self.create_timer(1.0, self._check_synchronization)
        # Matching frame N + 1 (OpenCV releases the GIL) overlaps publishing frame N. As many
        # sets as queue_size may wait for the matcher (a burst, such as the sets that repaired
        # messages complete at once); when one more forms, the oldest is skipped.
        self._to_match: Handoff[FrameJob] = Handoff(capacity=self._settings.queue_size)
        self._to_publish: Handoff[FrameJob] = Handoff()
        self._cloud_buffer = CloudBuffer()
        self._threads = [threading.Thread(target=target, name=name) for target, name in
                         ((self._match_frames, "matching"), (self._publish_frames, "publishing"))]
        for thread in self._threads:
            thread.start()
        self.get_logger().info(f"waiting for a subscriber to {_either(list(self._outputs))} "
                               "before subscribing to the inputs")

    # ---------------------------------------------------------------- parameters
    def _parameters_with(self, changes: dict[str, Any]) -> tuple[MatcherParams, NodeSettings]:
        """Both parameter sets: the values in force, with ``changes`` applied."""
        values = {name: self.get_parameter(name).value for name in self._role.parameters}
        values.update(changes)
        return MatcherParams.from_mapping(values), NodeSettings.from_mapping(values)

    def _make_synchronizer(self) -> ExactTimeSynchronizer | ApproximateTimeSynchronizer:
        settings = self._settings
        return make_synchronizer(len(self._input_topics), settings.queue_size,
                                 settings.approximate_sync,
                                 settings.approximate_sync_tolerance_seconds)

    def _validate_parameters(self, parameters: list[Parameter]) -> SetParametersResult:
        changes = {p.name: p.value for p in parameters}
        try:
            # rclpy declares an input's QoS overrides when the input is subscribed
            undeclared = sorted(name for name in changes if not self.has_parameter(name) and
                                not name.startswith("qos_overrides."))
            if undeclared:
                raise ValueError(f"no parameter named {', '.join(map(repr, undeclared))}: "
                                 "this node declares " + ", ".join(self._role.parameters))
            self._parameters_with(changes)
        except ValueError as error:
            self.get_logger().warning(f"rejected parameter change: {error}")
            return SetParametersResult(successful=False, reason=str(error))
        return SetParametersResult(successful=True)

    def _apply_parameters(self, parameters: list[Parameter]) -> None:
        params, self._settings = self._parameters_with({})
        changed = [self._role.parameters[p.name] for p in parameters
                   if p.name in self._role.parameters]
        if not changed:  # QoS overrides, declared with an input subscription
            return
        if any(spec.rebuilds_synchronizer for spec in changed):
            self._synchronizer = self._make_synchronizer()
            self._to_match.capacity = self._settings.queue_size
        if params != self._processor.params:
            self._processor.set_params(params)
        self.get_logger().info(
            "parameters changed: " + ", ".join(f"{p.name}={p.value}" for p in parameters))

    # ---------------------------------------------------------------- inputs
    def _on_output_matched(self, output: str, status: QoSPublisherMatchedInfo) -> None:
        """Subscribe the inputs when an output gains its first subscriber; leave when none has."""
        self._matched[output] = status.current_count
        wanted = any(self._matched.values())
        if wanted and not self._inputs.active:
            self._inputs.subscribe()
            topics = ", ".join(self.resolve_topic_name(t) for t in self._input_topics)
            self.get_logger().info(
                f"{output} has a subscriber: subscribed to {topics}; "
                f"{'approximate' if self._settings.approximate_sync else 'exact'} sync "
                "(each input once it has a publisher)")
        elif not wanted and self._inputs.active:
            self._inputs.unsubscribe()
            self._health.arrivals.clear()
            self._synchronizer = self._make_synchronizer()  # no half-formed sets kept
            self.get_logger().info(f"no subscriber to {_either(list(self._outputs))} any "
                                   "more: unsubscribed from the inputs")

    def _on_input(self, index: int, message: Image | CameraInfo) -> None:
        self._last_arrival_time = time.monotonic()
        self._health.period.inputs[self._input_topics[index]] += 1
        jumps = self._synchronizer.stats.time_jumps
        matched = self._synchronizer.add(index, stamp_ns(message.header), message)
        if self._synchronizer.stats.time_jumps != jumps:
            self.get_logger().warning(
                f"input stamps jumped back to {stamp_ns(message.header) / 1e9:.3f} s "
                "(a replay restarted?): synchronization starts afresh")
        if matched is not None:
            self._last_set_time = time.monotonic()
            stamps = [stamp_ns(m.header) for m in matched]
            self._health.period.sets += 1
            self._health.period.skew_seconds.append((max(stamps) - min(stamps)) / 1e9)
            self._process(tuple(matched))

    def _seconds_without_sets(self) -> float | None:
        """How long inputs have arrived without forming a set; None while sets form."""
        now = time.monotonic()
        stall = self._settings.no_sync_warning_seconds
        if self._last_arrival_time is None or now - self._last_arrival_time > stall:
            return None
        return now - self._last_set_time

    def _check_synchronization(self) -> None:
        waited = self._seconds_without_sets()
        if waited is None or waited < self._settings.no_sync_warning_seconds:
            return
        stats = self._synchronizer.stats
        topics = self._input_topics
        counts = ", ".join(f"{topic} {n}" for topic, n in zip(topics, stats.received))
        advice = stats.why_no_sets(topics, self._settings.approximate_sync)
        self.get_logger().warning(
            f"inputs arrive but no synchronized set for {waited:.0f} s "
            f"(received: {counts}); {advice}", throttle_duration_sec=LOG_THROTTLE_SECONDS)

    def _publish_diagnostics(self) -> None:
        now = time.monotonic()
        dropped = self._synchronizer.stats.dropped  # since this synchronizer was made
        self._health.period.sync_dropped = dropped - min(self._sync_dropped_reported, dropped)
        self._sync_dropped_reported = dropped
        self._health.period.lost.update(self._inputs.take_lost())
        status = self._health.report(now - self._last_report, self._seconds_without_sets(),
                                     self._settings.no_sync_warning_seconds, self._explain_loss)
        lagging = self._health.arrivals.lagging()
        if lagging:
            line = lagging_message(lagging, self._explain_loss)
            self._log_throttled("delivery", line, line, warning=True)
        self._last_report = now
        self._diagnostics.publish(DiagnosticArray(header=Header(
            stamp=self.get_clock().now().to_msg()), status=[status]))

    def _explain_loss(self, lagging: LaggingInput) -> str:
        """Why ``lagging.topic`` loses messages, from its publishers' QoS, and the fix."""
        reliabilities = self._inputs.publisher_reliabilities(lagging.topic)
        best_effort = None if not reliabilities else \
            ReliabilityPolicy.BEST_EFFORT in reliabilities
        return loss_explanation(lagging.topic, best_effort, str(config_file(FASTDDS_PROFILE)))

    def _log_throttled(self, kind: str, reason: str, line: str, warning: bool = False) -> None:
        """Log ``line`` (an error, or a warning): a new kind of reason at once, a repeat every 5 s.

        Reasons that differ only in their values (sizes, encodings, numbers) are one kind,
        so a stream of ever-different bad inputs cannot flood the log.
        """
        now = time.monotonic()
        key = f"{kind}: {reason_kind(reason)}"
        if now - self._last_logged.get(key, -LOG_THROTTLE_SECONDS) < LOG_THROTTLE_SECONDS:
            return
        if len(self._last_logged) >= MAX_REMEMBERED_REASONS:
            self._last_logged.clear()
        self._last_logged[key] = now
        if warning:  # rclpy refuses two severities from one call site
            self.get_logger().warning(line)
        else:
            self.get_logger().error(line)

    def _warn_input(self, stamp: int, reason: str) -> None:
        """An input the node reads anyway, as stereo_image_proc does (throttled)."""
        self._log_throttled("input", reason, f"frame at {stamp / 1e9:.6f} s: {reason}",
                            warning=True)

    def _report_dropped_frame(self, stamp: int, reason: str) -> None:
        self._health.dropped(reason)
        self._log_throttled("dropped", reason, f"dropped frame at {stamp / 1e9:.6f} s: {reason} "
                            f"({self._health.dropped_total} dropped so far)")

    def _report_depth_refused(self, stamp: int, reason: str) -> None:
        self._health.period.depth_refused[reason] += 1
        left_out = "a cloud of NaN points published" if self._role.cloud_without_depth else \
            "no points2; disparity published"
        self._log_throttled("no depth", reason, f"no depth for the frame at {stamp / 1e9:.6f} s "
                            f"({left_out}): {reason}",
                            warning=True)

    def _report_defect(self, error: Exception) -> None:
        """A frame lost to an exception the code did not expect: counted and logged."""
        self._health.dropped(f"unexpected {type(error).__name__}: {error}")
        self.report_callback_failure()

    def report_callback_failure(self) -> None:
        """Log the exception being handled: its traceback the first time, then a count."""
        error = sys.exc_info()[1]
        self._health.period.callback_failures += 1
        reason = f"{type(error).__name__}: {error}"
        if len(self._callback_failures) >= MAX_REMEMBERED_REASONS:
            self._callback_failures.clear()
        kind = reason_kind(reason)
        self._callback_failures[kind] += 1
        count = self._callback_failures[kind]
        if count == 1:
            self.get_logger().error(f"a callback failed, the node goes on: {reason}\n"
                                    + traceback.format_exc().rstrip())
        else:
            self._log_throttled("callback", reason, f"a callback failed again ({count} times "
                                f"so far): {reason}")

    # ---------------------------------------------------------------- processing
    def _process(self, inputs: tuple[Any, ...]) -> None:
        """Hand a synchronized set to the matching thread (executor thread)."""
        wanted = [name for name, count in self._matched.items() if count > 0]
        if not wanted:  # the last subscriber left while this set formed
            return
        job = FrameJob(inputs, wanted, self._settings, stamp_ns(inputs[1].header),
                       time.monotonic())
        self._health.period.behind += len(self._to_match.put(job))

    def _match_frames(self) -> None:
        """Matching thread: frames in, processed frames out, in order."""
        size = None
        while (job := self._to_match.take()) is not None:
            self._health.hardware_id = job.inputs[1].header.frame_id
            try:
                job.frame = self._role.compute(self._processor, self._rectifier, job.inputs,
                                               job.wanted, job.settings,
                                               functools.partial(self._warn_input, job.stamp))
            except ValueError as error:
                self._report_dropped_frame(job.stamp, str(error))
                continue
            except Exception as error:  # a defect must not take the node down with it
                self._report_defect(error)
                continue
            if job.frame.disparity.shape != size:
                # Buffers kept for the last size are waste now (see keep_large_buffers).
                size = job.frame.disparity.shape
                release_free_memory()
            if not self._to_publish.put_when_free(job):
                return

    def _publish_frames(self) -> None:
        """Publishing thread: build each wanted message once and publish it."""
        while (job := self._to_publish.take()) is not None:
            try:
                self._publish(job)
            except Exception as error:  # a defect must not take the node down with it
                self._report_defect(error)

    def _publish(self, job: FrameJob) -> None:
        assert job.frame is not None
        refusal = depth_refusal_for(job.frame, job.wanted)
        if refusal is not None:
            self._report_depth_refused(job.stamp, refusal)
        messages = frame_messages(job.frame, job.inputs[1].header, job.wanted, job.settings,
                                  self._cloud_buffer, self._role.cloud_without_depth,
                                  right_header=job.inputs[3].header)
        for name, message in messages.items():
            self._outputs[name].publish(message)
            self._health.period.outputs[name] += 1
        period = self._health.period
        period.processed += 1
        period.processing_seconds.append(time.monotonic() - job.started)
        period.latency_seconds.append((self.get_clock().now().nanoseconds - job.stamp) / 1e9)

    def destroy_node(self) -> None:
        """Stop the processing threads, then destroy the node."""
        for handoff in (self._to_match, self._to_publish):
            handoff.close()
        for thread in self._threads:
            thread.join()
        super().destroy_node()


@dataclass
class FrameJob:
    """One synchronized set on its way through the processing threads."""

    inputs: tuple[Any, ...]  # one synchronized set, in the node's input order
    wanted: list[str]
    settings: NodeSettings  # in force when the set formed: a live change waits for the next
    stamp: int
    started: float  # time.monotonic() when the set formed
    frame: StereoFrame | None = None


def main(args: list[str] | None = None, role: NodeRole = STEREO_DEPTH) -> int:
    """Run the node until SIGINT or SIGTERM; exit code 0 on a clean shutdown.

    The signals only set a flag: the main thread stops spinning, destroys the node and then
    shuts ROS down, in that order. (rclpy's own handler shuts the context down from another
    thread, which raced with destroying the publishers and crashed one exit in about fifteen.)
    """
    keep_large_buffers()
    profile_variable = use_package_profile()
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        node = StereoDepthNode(role)
    except Exception as error:  # invalid parameters given at start-up
        rclpy.logging.get_logger("stereo_depth_node").fatal(f"cannot start: {error}")
        rclpy.try_shutdown()
        return 1
    if profile_variable is not None:
        node.get_logger().info(
            f"this node's Fast DDS participant uses {os.environ[profile_variable]} (64 MiB "
            f"shared memory for its outputs); set {profile_variable} to choose another")
    try:
        spin_until(node, stop)
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


def spin_until(node: StereoDepthNode, stop: threading.Event) -> None:
    """Spin until ``stop`` is set; an exception in a callback is logged, not fatal.

    (rclpy's own parameter service raises, for example, on a request whose
    value type is not a parameter type: one such request must not end the node.)
    The short wait bounds how long a signal waits for the main thread.
    """
    executor = SingleThreadedExecutor(context=node.context)
    executor.add_node(node)
    while not stop.is_set() and node.context.ok():
        try:
            executor.spin_once(timeout_sec=0.1)
        except ExternalShutdownException:
            break
        except Exception:
            node.report_callback_failure()
    executor.shutdown()


def disparity_node() -> int:
    """``disparity_node``: stereo_image_proc's disparity node."""
    return main(role=DISPARITY_ONLY)


def point_cloud_node() -> int:
    """``point_cloud_node``: stereo_image_proc's point cloud node (and depth)."""
    return main(role=POINT_CLOUD)


if __name__ == "__main__":  # python -m stereo_depth_node.ros.node [--role NAME] --ros-args ...
    name = "".join(sys.argv[2:3]) if sys.argv[1:2] == ["--role"] else STEREO_DEPTH.node_name
    if name not in ROLES:
        sys.exit(f"unknown --role {name!r}; the roles are {', '.join(ROLES)}")
    sys.exit(main(role=ROLES[name]))
