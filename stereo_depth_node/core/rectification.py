# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Rectifying raw camera images (distorted, possibly Bayer) with their calibration.

A :class:`Rectifier` keeps the remapping tables of the calibrations it has seen (built
once with :func:`cv2.initUndistortRectifyMap`, or its fisheye form for
``equidistant``, as fixed-point maps) and turns a raw image into the rectified grey or
colour image the matcher takes. A calibration that needs no rectifying costs only the
conversion to grey or colour.
"""

from __future__ import annotations

from collections import OrderedDict

import cv2
import numpy as np

from stereo_depth_node.core.camera_model import CameraModel
from stereo_depth_node.core.image_encoding import COLOUR_ENCODINGS, to_mono8, to_rgb8

# image_proc's interpolation values; cv2.remap takes INTER_AREA as INTER_LINEAR.
INTERPOLATIONS = {0: cv2.INTER_NEAREST, 1: cv2.INTER_LINEAR, 2: cv2.INTER_CUBIC,
                  3: cv2.INTER_AREA, 4: cv2.INTER_LANCZOS4}
# Calibrations whose maps are kept: both cameras, and both again after a change; and at most
# this many bytes of maps (4 calibrations of 1920 x 1200; the newest is always kept).
KEPT_MAPS = 4
KEPT_MAP_BYTES = 4 * 1920 * 1200 * 6

Maps = tuple[np.ndarray, np.ndarray]


def rectification_maps(camera: CameraModel) -> Maps:
    """Fixed-point remapping tables from the raw image to the rectified one.

    Returns
    -------
    map1 : numpy.ndarray
        Shape ``(h, w, 2)``, int16: integer source coordinates (``CV_16SC2``).
    map2 : numpy.ndarray
        Shape ``(h, w)``, uint16: their sub-pixel parts, for :func:`cv2.remap`.
        ``(w, h)`` is ``camera.image_size``.

    Raises
    ------
    ValueError
        A calibration OpenCV cannot use.
    """
    build = cv2.fisheye.initUndistortRectifyMap if camera.distortion_model == "equidistant" \
        else cv2.initUndistortRectifyMap
    try:
        map1, map2 = build(camera.raw_camera_matrix(), camera.distortion(),
                           np.array(camera.R, dtype=np.float64).reshape(3, 3),
                           camera.rectified_projection(), camera.image_size, cv2.CV_16SC2)
    except cv2.error as error:  # a calibration the checks let through: a frame's error
        raise ValueError("cannot build the rectification maps of this camera_info: "
                         f"{error.err or error}") from None
    return map1, map2


class Rectifier:
    """Raw images to rectified ones, with the maps of recent calibrations kept.

    At most :data:`KEPT_MAPS` calibrations' maps and :data:`KEPT_MAP_BYTES` bytes of
    them are kept, the least recently used going first (the newest always stays).

    Attributes
    ----------
    maps_built : int
        How many calibrations' maps have been built (one per calibration seen).
    """

    def __init__(self) -> None:
        self.maps_built = 0
        self._maps: OrderedDict[CameraModel, Maps] = OrderedDict()

    def rectify(self, image: np.ndarray, encoding: str, camera: CameraModel, name: str,
                colour: bool, interpolation: int = 1) -> tuple[np.ndarray, str]:
        """The rectified image of one camera, and its encoding.

        Parameters
        ----------
        image : numpy.ndarray
            The raw image, as read by
            :func:`stereo_depth_node.core.image_encoding.image_to_array` (any
            intensity encoding, Bayer included), of ``camera.image_size``.
        encoding : str
            Its ROS encoding.
        camera : CameraModel
            Its calibration (checked with :meth:`CameraModel.check_rectifiable`).
        name : str
            ``left`` or ``right``, for error messages.
        colour : bool
            Keep colour (``rgb8``) when the image has it; else grey (``mono8``).
        interpolation : int
            One of :data:`INTERPOLATIONS` (image_proc's values; 1, linear, by default).

        Returns
        -------
        rectified : numpy.ndarray
            Shape ``(h, w)`` uint8 (``mono8``) or ``(h, w, 3)`` uint8 (``rgb8``).
        encoding : str
            ``mono8`` or ``rgb8``.

        Raises
        ------
        ValueError
            An uncalibrated or unsupported calibration, or an image of another size.
        """
        camera.check_rectifiable(name)
        width, height = camera.image_size
        if image.shape[:2] != (height, width):
            raise ValueError(
                f"{name} image is {image.shape[1]}x{image.shape[0]} but its camera_info gives "
                f"{width}x{height} (width, height, roi, binning)")
        if colour and encoding in COLOUR_ENCODINGS:
            converted, converted_encoding = np.ascontiguousarray(to_rgb8(image, encoding)), "rgb8"
        else:
            converted, converted_encoding = to_mono8(image, encoding), "mono8"
        if not camera.needs_rectification:
            return converted, converted_encoding
        map1, map2 = self._maps_of(camera)
        return cv2.remap(converted, map1, map2, INTERPOLATIONS[interpolation]), \
            converted_encoding

    @property
    def kept_bytes(self) -> int:
        """The bytes of the maps kept."""
        return sum(map1.nbytes + map2.nbytes for map1, map2 in self._maps.values())

    def _maps_of(self, camera: CameraModel) -> Maps:
        maps = self._maps.get(camera)
        if maps is None:
            maps = rectification_maps(camera)
            self.maps_built += 1
            self._maps[camera] = maps
            while len(self._maps) > 1 and (len(self._maps) > KEPT_MAPS or
                                           self.kept_bytes > KEPT_MAP_BYTES):
                self._maps.popitem(last=False)
        self._maps.move_to_end(camera)
        return maps
