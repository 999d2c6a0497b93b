# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""A stereo camera publishing as camera drivers do, and a count of the sets the node answers.

The camera publishes raw frames on ``left/image_raw``, ``right/image_raw``,
``left/camera_info`` and ``right/camera_info`` (in that order, the node running
with ``rectify``): a set's four messages back to back, stamped with the clock's
time, at a fixed rate, with ROS 2's default publisher QoS (reliable, keep last 10)
as most drivers do, or with sensor data QoS (best effort). It subscribes to the
node's ``disparity`` and ``/diagnostics``. It runs as a process of its own
(``python -m stereo_depth_node.testing.driver_camera``), so that a test or a
benchmark chooses its whole environment: without a Fast DDS profile, it is a stock
driver.

It prints one JSON line: ``sent`` (sets sent after the warm-up), ``answered``
(those answered with a disparity), ``warm_up_seconds`` (until the node first
answered; ``null`` if it never did or no warm-up was asked for) and
``statuses``: the node's ``/diagnostics`` statuses while streaming, each with
``seconds`` since the stream began, ``level``, ``message`` and ``values``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from stereo_msgs.msg import DisparityImage

from stereo_depth_node.ros.messages import INPUT_TOPICS, INPUT_TYPES, stamp_ns
from stereo_depth_node.testing.frames import raw_input_messages
from stereo_depth_node.testing.raw_scenes import RawStereoScene, distorted
from stereo_depth_node.testing.scenes import Layer, layered_scene

RAW_TOPICS = tuple(topic.replace("/image_rect", "/image_raw") for topic in INPUT_TOPICS)
PUBLISH_ORDER = (0, 2, 1, 3)  # indexes into RAW_TOPICS: both images, then both camera_infos
# ROS 2's default publisher QoS (create_publisher(..., 10)), as camera drivers publish.
DRIVER_QOS = {"reliable": QoSProfile(depth=10), "best_effort": qos_profile_sensor_data}
SECOND = 1_000_000_000


def driver_scene(width: int, height: int) -> RawStereoScene:
    """A raw rgb8 pair of ``width`` x ``height`` through a plumb_bob lens: a box before a wall.

    Grey in three channels (:func:`raw_input_messages` makes mono8 of it).
    """
    box = Layer(width // 4, height // 4, width // 2, 3 * height // 4, 24)
    scene = distorted(layered_scene(width, height, background_disparity=8, layers=(box,)))
    return RawStereoScene(np.dstack([scene.left] * 3), np.dstack([scene.right] * 3),
                          scene.left_camera, scene.right_camera, scene.rectified)


@dataclass
class Status:
    """One of the node's ``/diagnostics`` statuses, ``seconds`` after the stream began."""

    seconds: float
    level: int
    message: str
    values: dict[str, str]


@dataclass
class DeliveryCount:
    """What the node made of a camera's stream."""

    sent: int
    answered: int
    warm_up_seconds: float | None
    statuses: list[Status] = field(default_factory=list)

    @property
    def fraction(self) -> float:
        """Answered sets over sent ones (0 when none was sent)."""
        return self.answered / self.sent if self.sent else 0.0

    def total(self, key: str) -> float:
        """The sum of a numeric status value (a count per period) over the statuses."""
        return sum(float(status.values.get(key, 0)) for status in self.statuses)

    @classmethod
    def from_json(cls, line: str) -> DeliveryCount:
        """The count a ``driver_camera`` process printed."""
        fields = json.loads(line)
        return cls(fields["sent"], fields["answered"], fields["warm_up_seconds"],
                   [Status(**status) for status in fields["statuses"]])


def run_driver_camera(size: str, encoding: str, env: dict[str, str], namespace: str,
                      reliability: str = "reliable", count: int = 150,
                      warm_up: float = 10.0, python: str = sys.executable) -> DeliveryCount:
    """Run the camera as a process with ``env``; its count (RuntimeError if it printed none)."""
    command = [python, "-m", "stereo_depth_node.testing.driver_camera", "--size", size,
               "--encoding", encoding, "--reliability", reliability, "--count", str(count),
               "--warm-up", str(warm_up), "--namespace", namespace]
    result = subprocess.run(command, env=env, capture_output=True, text=True,
                            timeout=60 + warm_up + 2 * count / 30)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"driver camera failed ({result.returncode}): {result.stderr}")
    return DeliveryCount.from_json(lines[-1])


class DriverCamera(Node):
    """Publishes raw stereo sets as a driver does; records the node's answers and statuses.

    Parameters
    ----------
    scene : RawStereoScene
        The frames (every set shows the same pair).
    encoding : str
        ``mono8`` or ``rgb8``.
    reliability : str
        ``reliable`` (ROS 2's default publisher QoS) or ``best_effort`` (sensor data QoS).
    namespace : str
        The node's namespace.
    """

    def __init__(self, scene: RawStereoScene, encoding: str, reliability: str,
                 namespace: str = "") -> None:
        super().__init__("driver_camera", namespace=namespace)
        self._messages = raw_input_messages(scene, 0, encoding)
        self._publishers = [self.create_publisher(kind, topic, DRIVER_QOS[reliability])
                            for topic, kind in zip(RAW_TOPICS, INPUT_TYPES)]
        self.answered: set[int] = set()
        self.statuses: list[Status] = []
        self.streaming_since = time.monotonic()
        self.create_subscription(DisparityImage, "disparity",
                                 lambda message: self.answered.add(stamp_ns(message.header)),
                                 QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
        self.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)

    def _on_diagnostics(self, array: DiagnosticArray) -> None:
        ours = self.get_namespace().rstrip("/") + "/"
        self.statuses += [Status(time.monotonic() - self.streaming_since, ord(status.level),
                                 status.message, {item.key: item.value for item in status.values})
                          for status in array.status if status.name.startswith(ours)]

    def publish_set(self) -> int:
        """Publish one set back to back, stamped now; return the stamp (ns)."""
        stamp = self.get_clock().now().nanoseconds
        for index in PUBLISH_ORDER:
            message = self._messages[index]
            message.header.stamp.sec, message.header.stamp.nanosec = divmod(stamp, SECOND)
            self._publishers[index].publish(message)
        return stamp

    def subscribed(self) -> bool:
        """Whether the node subscribes to every input topic."""
        return all(publisher.get_subscription_count() > 0 for publisher in self._publishers)


def stream(camera: DriverCamera, rate: float, count: int, warm_up: float = 10.0,
           grace: float = 2.0) -> DeliveryCount:
    """Stream ``count`` sets at ``rate`` Hz and count those the node answers.

    Waits (at most 30 s) for the node to subscribe to every input; then, with
    ``warm_up`` > 0, publishes until the node first answers (at most ``warm_up``
    s); then the ``count`` sets that are counted, answered within ``grace`` s of
    the last.
    """
    executor = SingleThreadedExecutor(context=camera.context)
    executor.add_node(camera)
    deadline = time.monotonic() + 30.0
    while not camera.subscribed() and time.monotonic() < deadline:  # the node's lazy inputs
        executor.spin_once(timeout_sec=0.05)
    period = 1.0 / rate
    next_time = time.monotonic()

    def publish() -> int:
        nonlocal next_time
        stamp = camera.publish_set()
        next_time += period
        while (wait := next_time - time.monotonic()) > 0:
            executor.spin_once(timeout_sec=wait)
        return stamp

    started = time.monotonic()
    while warm_up > 0 and not camera.answered and time.monotonic() - started < warm_up:
        publish()
    warmed = time.monotonic() - started if warm_up > 0 and camera.answered else None
    camera.statuses.clear()
    camera.streaming_since = time.monotonic()
    sent = [publish() for _ in range(count)]
    streamed = len(camera.statuses)
    end = time.monotonic() + grace
    while time.monotonic() < end:
        executor.spin_once(timeout_sec=0.05)
    executor.remove_node(camera)
    return DeliveryCount(len(sent), len(camera.answered.intersection(sent)), warmed,
                         camera.statuses[:streamed])


def main(argv: list[str] | None = None) -> None:
    """Stream and print the count as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="640x480", help="WIDTHxHEIGHT")
    parser.add_argument("--encoding", choices=("mono8", "rgb8"), default="mono8")
    parser.add_argument("--reliability", choices=tuple(DRIVER_QOS), default="reliable")
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--warm-up", type=float, default=10.0,
                        help="seconds to wait for the first answer before counting (0: none)")
    parser.add_argument("--namespace", default="")
    args = parser.parse_args(argv)
    width, height = map(int, args.size.split("x"))
    rclpy.init()
    camera = DriverCamera(driver_scene(width, height), args.encoding, args.reliability,
                          args.namespace)
    count = stream(camera, args.rate, args.count, args.warm_up)
    print(json.dumps(asdict(count)), flush=True)
    camera.destroy_node()
    rclpy.try_shutdown()


if __name__ == "__main__":
    main()
