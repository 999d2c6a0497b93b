# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The node's input messages for one stereo frame of a scene: for streaming and for bags."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from std_msgs.msg import Header

from stereo_depth_node.core.compressed import encode_compressed
from stereo_depth_node.core.image_encoding import BAYER_ENCODINGS, to_mono8
from stereo_depth_node.ros.messages import (
    camera_info_from_model,
    camera_info_message,
    header_at,
    image_message,
)
from stereo_depth_node.testing.raw_scenes import RawStereoScene, bayer_mosaic
from stereo_depth_node.testing.scenes import StereoScene

CameraImage: TypeAlias = Image | CompressedImage


def stereo_input_messages(scene: StereoScene, stamp: int,
                          right_stamp: int | None = None, codec: str | None = None
                          ) -> list[CameraImage | CameraInfo]:
    """The four input messages of one frame, in ``INPUT_TOPICS`` order.

    Left image, left camera info, right image, right camera info; each camera's
    image and info share a header with that camera's ``frame_id``. Stamps are
    integer nanoseconds; the right camera's defaults to the left's. The scene's
    ground truth is not read. With ``codec`` (``jpeg`` or ``png``) the images are
    CompressedImages, as image_transport's compressed plugin sends them.
    """
    right_stamp = stamp if right_stamp is None else right_stamp
    messages: list[CameraImage | CameraInfo] = []
    for image, calibration, camera_stamp in ((scene.left, scene.left_calibration, stamp),
                                             (scene.right, scene.right_calibration, right_stamp)):
        header = header_at(camera_stamp, calibration.frame_id)
        messages += [camera_image(image, scene.encoding, header, codec),
                     camera_info_message(calibration, header)]
    return messages


def raw_input_messages(scene: RawStereoScene, stamp: int, encoding: str = "rgb8",
                       codec: str | None = None) -> list[CameraImage | CameraInfo]:
    """The four input messages of one raw frame, in ``INPUT_TOPICS`` order (for image_raw).

    ``encoding`` is ``rgb8`` (the scene's images), ``mono8``, or a Bayer encoding (the
    images sampled through that colour filter array); ``codec`` as in
    :func:`stereo_input_messages`. Each camera_info holds the camera's full calibration.
    """
    messages: list[CameraImage | CameraInfo] = []
    for image, camera in ((scene.left, scene.left_camera), (scene.right, scene.right_camera)):
        header = header_at(stamp, camera.frame_id)
        if encoding in BAYER_ENCODINGS:
            image = bayer_mosaic(image, encoding[6:10])
        elif encoding == "mono8":
            image = to_mono8(image, "rgb8")
        messages += [camera_image(image, encoding, header, codec),
                     camera_info_from_model(camera, header)]
    return messages


def camera_image(image: np.ndarray, encoding: str, header: Header,
                 codec: str | None = None) -> CameraImage:
    """An ``Image``, or with ``codec`` a ``CompressedImage`` (see :func:`encode_compressed`)."""
    if codec is None:
        return image_message(image, encoding, header)
    data, text = encode_compressed(image, encoding, codec)
    message = CompressedImage(header=header, format=text)
    message.data = data
    return message
