# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The node's input messages for one stereo frame of a scene: for streaming and for bags."""

from __future__ import annotations

from sensor_msgs.msg import CameraInfo, Image

from stereo_depth_node.ros.messages import camera_info_message, header_at, image_message
from stereo_depth_node.testing.scenes import StereoScene


def stereo_input_messages(scene: StereoScene, stamp: int,
                          right_stamp: int | None = None) -> list[Image | CameraInfo]:
    """The four input messages of one frame, in ``INPUT_TOPICS`` order.

    Left image, left camera info, right image, right camera info; each camera's
    image and info share a header with that camera's ``frame_id``. Stamps are
    integer nanoseconds; the right camera's defaults to the left's. The scene's
    ground truth is not read.
    """
    right_stamp = stamp if right_stamp is None else right_stamp
    messages: list[Image | CameraInfo] = []
    for image, calibration, camera_stamp in ((scene.left, scene.left_calibration, stamp),
                                             (scene.right, scene.right_calibration, right_stamp)):
        header = header_at(camera_stamp, calibration.frame_id)
        messages += [image_message(image, scene.encoding, header),
                     camera_info_message(calibration, header)]
    return messages
