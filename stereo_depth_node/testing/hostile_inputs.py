# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Streams of malformed and ever-changing input sets: what a broken or hostile camera sends.

:func:`hostile_sets` yields, from a seed, the four input messages of sets of many sizes
(8 x 8 up to 1600 x 1200), each one of :data:`FAULTS`: a good set, images of different
sizes, data cut short, an unsupported encoding, a camera_info of another size, a NaN in
the projection, a calibration of its own (a new focal length every set) and, for a node
with ``rectify``, a new lens every set. The same seed gives the same sets, so a stream
can be sent twice and the node's memory compared after each pass.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from sensor_msgs.msg import CameraInfo, Image

from stereo_depth_node.core.camera_model import CameraModel
from stereo_depth_node.core.geometry import rectified_calibrations
from stereo_depth_node.ros.messages import (
    camera_info_from_model,
    camera_info_message,
    header_at,
    image_message,
)

FAULTS = ("good", "sizes differ", "data cut short", "unsupported encoding",
          "camera_info of another size", "NaN in P", "new calibration", "new lens")
SECOND = 1_000_000_000


def hostile_sets(seed: int, count: int, first_stamp: int = SECOND
                 ) -> Iterator[list[Image | CameraInfo]]:
    """``count`` sets in ``INPUT_TOPICS`` order, one fault each (see the module's text).

    Stamps are ``first_stamp`` plus 10 ms per set; each set's messages share theirs.
    """
    rng = np.random.default_rng(seed)
    for index in range(count):
        width, height = int(rng.integers(8, 1601)), int(rng.integers(8, 1201))
        fault = FAULTS[index % len(FAULTS)]
        yield _set(rng, fault, width, height, first_stamp + index * SECOND // 100)


def _set(rng: np.random.Generator, fault: str, width: int, height: int,
         stamp: int) -> list[Image | CameraInfo]:
    focal = 400.0 + (float(rng.integers(0, 10_000)) if fault == "new calibration" else 0.0)
    left_calibration, right_calibration = rectified_calibrations(
        width, height, focal, (width - 1) / 2, (height - 1) / 2, 0.1)
    images = [rng.integers(0, 256, (height, width), dtype=np.uint8) for _ in range(2)]
    if fault == "sizes differ":
        images[1] = images[1][: max(height // 2, 1)]
    messages: list[Image | CameraInfo] = []
    for image, calibration in zip(images, (left_calibration, right_calibration)):
        header = header_at(stamp, calibration.frame_id)
        message = image_message(image, "mono8", header)
        if fault == "data cut short":
            message.data = message.data[: len(message.data) // 2]
        elif fault == "unsupported encoding":
            message.encoding = "yuv422_yuy2_unknown"
        info = camera_info_message(calibration, header)
        if fault == "camera_info of another size":
            info.width, info.height = width + 1, height + 1
        elif fault == "NaN in P":
            info.p[0] = float("nan")
        elif fault == "new lens":
            info = camera_info_from_model(_lens(rng, info), header)
        messages += [message, info]
    return messages


def _lens(rng: np.random.Generator, info: CameraInfo) -> CameraModel:
    """``info``'s calibration seen through a lens of random plumb_bob distortion."""
    distortion = tuple(float(value) for value in rng.uniform(-0.05, 0.05, 5))
    return CameraModel(int(info.width), int(info.height), tuple(map(float, info.k)),
                       distortion, tuple(map(float, info.r)), tuple(map(float, info.p)),
                       "plumb_bob", 0, 0, (0, 0, 0, 0), info.header.frame_id)
