# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The inputs of stereo_image_proc's two launch tests, published the way its fixtures do.

image_pipeline tests ``disparity_node`` and ``point_cloud_node`` with two loose fixtures,
each publishing one set of messages every 0.1 s, stamped with the time of publishing, on
reliable topics of depth 1:

``stereo``
    ``left/image_rect``, ``right/image_rect`` (bgr8) and both ``camera_info``: all-zero
    K and ``P = [1 0 1 0; 0 1 1 0; 0 0 1 0]`` for both cameras, so a zero baseline.
``disparity``
    ``left/image_rect_color`` (bgr8), ``disparity`` and one all-zero ``camera_info`` on
    both ``camera_info`` topics; the DisparityImage has an empty encoding, ``f = t = 0``,
    ``step = 4 width`` and float64 data (twice ``step * height`` bytes).

Written here on the Motorcycle pair (and its ground truth as the disparity) instead of
image_pipeline's Aloe images. Run one with::

    python -m stereo_depth_node.testing.stereo_image_proc_fixtures stereo
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

import numpy as np
import rclpy
from builtin_interfaces.msg import Time
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions
from rclpy.utilities import remove_ros_args
from sensor_msgs.msg import CameraInfo, Image
from stereo_msgs.msg import DisparityImage

from stereo_depth_node.ros.messages import image_message
from stereo_depth_node.testing.scenes import motorcycle

PERIOD_S = 0.1
# Both cameras' P in the disparity fixture: f = 1 px, principal point (1, 1), no baseline.
ZERO_BASELINE_P = (1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0)

Messages = dict[str, Image | CameraInfo | DisparityImage]


def fixture_images() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Motorcycle pair as the fixtures publish it.

    Returns
    -------
    left, right : numpy.ndarray
        Shape ``(500, 741, 3)``, uint8, channels B, G, R (bgr8).
    disparity : numpy.ndarray
        Shape ``(500, 741)``, float64, pixels: the ground truth, 0 where unknown.
    """
    scene = motorcycle()
    disparity = np.nan_to_num(scene.ground_truth.astype(np.float64), nan=0.0)
    return (np.ascontiguousarray(scene.left[:, :, ::-1]),
            np.ascontiguousarray(scene.right[:, :, ::-1]), disparity)


def _bgr8(image: np.ndarray) -> Image:
    return image_message(image, "bgr8", Image().header)


def _loose_camera_info(image: np.ndarray, projection: Sequence[float] = (0.0,) * 12) \
        -> CameraInfo:
    height, width = image.shape[:2]
    return CameraInfo(height=height, width=width, p=list(projection))


def stereo_fixture() -> Messages:
    """The messages of the ``stereo`` fixture (test_disparity_node.py's), by topic."""
    left, right, _ = fixture_images()
    return {"left/image_rect": _bgr8(left),
            "left/camera_info": _loose_camera_info(left, ZERO_BASELINE_P),
            "right/image_rect": _bgr8(right),
            "right/camera_info": _loose_camera_info(right, ZERO_BASELINE_P)}


def disparity_fixture() -> Messages:
    """The messages of the ``disparity`` fixture (test_point_cloud_node.py's), by topic."""
    left, _, disparity = fixture_images()
    height, width = disparity.shape
    message = DisparityImage()
    message.image.height, message.image.width, message.image.step = height, width, 4 * width
    message.image.data = disparity.tobytes()  # float64: twice step * height bytes
    info = _loose_camera_info(left)
    return {"left/image_rect_color": _bgr8(left), "left/camera_info": info,
            "right/camera_info": info, "disparity": message}


FIXTURES = {"stereo": stereo_fixture, "disparity": disparity_fixture}


def stamp(messages: Messages, now: Time) -> None:
    """Give every message (and a DisparityImage's image) the stamp ``now``."""
    for message in messages.values():
        message.header.stamp = now
        if isinstance(message, DisparityImage):
            message.image.header.stamp = now


class FixturePublisher(Node):
    """Publishes one fixture's messages every :data:`PERIOD_S`, stamped with the clock's now."""

    def __init__(self, messages: Messages) -> None:
        super().__init__("image_publisher")
        self._messages = messages
        self._outputs = {topic: self.create_publisher(type(message), topic, 1)
                            for topic, message in messages.items()}
        self.create_timer(PERIOD_S, self._publish)

    def _publish(self) -> None:
        stamp(self._messages, self.get_clock().now().to_msg())
        for topic, message in self._messages.items():
            self._outputs[topic].publish(message)


def main(argv: Sequence[str] | None = None) -> None:
    """Publish the fixture named on the command line until SIGINT or SIGTERM.

    ``--ros-args`` (a namespace, say) are passed on to ROS.
    """
    argv = sys.argv if argv is None else ["stereo_image_proc_fixtures", *argv]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fixture", choices=sorted(FIXTURES))
    fixture = parser.parse_args(remove_ros_args(argv)[1:]).fixture
    rclpy.init(args=argv, signal_handler_options=SignalHandlerOptions.NO)
    node = FixturePublisher(FIXTURES[fixture]())
    stop = threading.Event()  # the signals only set it: see stereo_depth_node.ros.node.main
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set():
        rclpy.spin_once(node, timeout_sec=0.05)
    node.destroy_node()
    rclpy.try_shutdown()


if __name__ == "__main__":
    main()
