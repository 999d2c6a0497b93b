# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""A ROS 2 client that streams stereo frames to the node and collects its outputs.

Used by the demo, the node tests and the benchmark: it plays the camera
driver (publishing ``left/image_rect`` etc.) and the consumer (subscribing to
``disparity``, ``depth`` and ``points2``), and records when each output arrives.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import rclpy
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, Image

from stereo_depth_node.ros.messages import INPUT_TOPICS, INPUT_TYPES, OUTPUT_TYPES, stamp_ns
from stereo_depth_node.testing.frames import stereo_input_messages
from stereo_depth_node.testing.scenes import StereoScene


@dataclass
class Received:
    """Output messages by topic and stamp (ns), with their arrival times (``time.monotonic``)."""

    messages: dict[str, dict[int, Any]] = field(default_factory=dict)
    arrival: dict[str, dict[int, float]] = field(default_factory=dict)

    def count(self, topic: str) -> int:
        """How many messages arrived on ``topic``."""
        return len(self.messages.get(topic, {}))


class StereoStreamClient(Node):
    """Publishes stereo inputs and subscribes to the node's outputs.

    Parameters
    ----------
    outputs : iterable of str
        Which of ``disparity``, ``depth``, ``points2``, ``confidence`` to subscribe to.
    namespace : str
        Namespace of the node's topics.
    """

    def __init__(self, outputs: Iterable[str] = ("disparity", "depth", "points2"),
                 namespace: str = "",
                 name: str = "stereo_stream_client") -> None:
        super().__init__(name, namespace=namespace)
        self.received = Received()
        self.sent_at: dict[int, float] = {}
        self._inputs = {
            topic: self.create_publisher(msg_type, topic, qos_profile_sensor_data)
            for topic, msg_type in zip(INPUT_TOPICS, INPUT_TYPES)
        }
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self._outputs = [
            self.create_subscription(OUTPUT_TYPES[topic], topic,
                                     lambda msg, t=topic: self._on_output(t, msg), reliable)
            for topic in outputs
        ]

    def _on_output(self, topic: str, message: Any) -> None:
        stamp = stamp_ns(message.header)
        self.received.messages.setdefault(topic, {})[stamp] = message
        self.received.arrival.setdefault(topic, {})[stamp] = time.monotonic()

    def inputs_connected(self) -> bool:
        """Whether a subscriber has matched every input publisher."""
        return all(p.get_subscription_count() > 0 for p in self._inputs.values())

    def connected(self) -> bool:
        """Whether the node has matched every input publisher and output subscription."""
        return self.inputs_connected() and all(s.get_publisher_count() > 0 for s in self._outputs)

    def publish_pair(self, scene: StereoScene, stamp: int, right_stamp: int | None = None) -> None:
        """Publish one frame of ``scene``; the right camera's stamp defaults to the left's."""
        self.sent_at[stamp] = time.monotonic()
        for topic, message in zip(INPUT_TOPICS, stereo_input_messages(scene, stamp, right_stamp)):
            self.publish_raw(topic, message)

    def publish_raw(self, topic: str, message: Image | CameraInfo) -> None:
        """Publish any message on one of the four input topics."""
        self._inputs[topic].publish(message)

    def prime(self, scene: StereoScene, timeout: float = 30.0) -> bool:
        """Stream a frame until the node answers, then forget what arrived.

        Discovery is not symmetric: the client may see the node's subscriptions
        before the node has matched the client's publishers, and best-effort
        messages sent in between are lost. Returns whether the node answered.
        """
        deadline = time.monotonic() + timeout
        stamp = 1
        while time.monotonic() < deadline:
            self.publish_pair(scene, stamp)
            if self.spin_until(lambda: any(self.received.messages.values()), 0.5):
                self.received = Received()
                self.sent_at.clear()
                return True
            stamp += 1
        return False

    def spin_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Spin until ``condition()`` holds or ``timeout`` seconds pass; return whether it held."""
        return spin_until(self, condition, timeout)


def spin_until(node: Node, condition: Callable[[], bool], timeout: float) -> bool:
    """Spin ``node`` until ``condition()`` holds or ``timeout`` seconds pass; whether it held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        rclpy.spin_once(node, timeout_sec=0.02)
    return True
