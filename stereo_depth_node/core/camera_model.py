# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""One camera's full calibration, as a ``sensor_msgs/CameraInfo`` holds it (REP 104).

K, D, R and P describe the sensor at full resolution (``width`` x ``height``); an image
may be a region of interest of it (``roi``) and binned (``binning_x``, ``binning_y``).
:class:`CameraModel` checks such a calibration, says whether its images need
rectifying at all, and gives the camera matrix of the raw image and the projection of
the rectified one, both in the image's own pixels, as image_geometry does: moved by the
ROI's offset, then scaled by the binning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stereo_depth_node.core.geometry import CameraCalibration

# Distortion models and the number of coefficients each takes (an empty D: no distortion).
DISTORTION_MODELS = {"plumb_bob": 5, "rational_polynomial": 8, "equidistant": 4}
# What OpenCV's pinhole model takes besides (k1 k2 p1 p2 [k3 [k4 k5 k6 [s1..s4 [tx ty]]]]).
_PINHOLE_LENGTHS = (4, 5, 8, 12, 14)
_ROTATION_TOLERANCE = 1e-3  # |R Rᵀ - I| and |det R - 1| of a rotation as calibrations store it
_IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


@dataclass(frozen=True)
class CameraModel:
    """A camera's calibration and image format: hashable, so rectification maps can be cached.

    Attributes
    ----------
    width, height : int
        Size the camera was calibrated at, pixels (full resolution).
    K : tuple of float
        Camera matrix, 9 values, row-major, pixels.
    D : tuple of float
        Distortion coefficients of ``distortion_model`` (empty: none).
    R : tuple of float
        Rectifying rotation, 9 values, row-major.
    P : tuple of float
        Projection of the rectified image, 12 values, row-major, pixels
        (``P[0,3] = -fx T`` for the right camera, ``T`` in metres).
    distortion_model : str
        One of :data:`DISTORTION_MODELS`.
    binning_x, binning_y : int
        Pixels combined into one (0 and 1: none).
    roi : tuple of int
        ``(x_offset, y_offset, width, height)`` of the image on the sensor, full-resolution
        pixels; all zeros: the whole sensor.
    frame_id : str
        The camera's optical frame.
    """

    width: int
    height: int
    K: tuple[float, ...]
    D: tuple[float, ...]
    R: tuple[float, ...]
    P: tuple[float, ...]
    distortion_model: str = "plumb_bob"
    binning_x: int = 0
    binning_y: int = 0
    roi: tuple[int, int, int, int] = (0, 0, 0, 0)
    frame_id: str = ""

    @classmethod
    def of_rectified_images(cls, calibration: CameraCalibration) -> CameraModel:
        """The model of images rectified already: no distortion, R = I, K = P's camera matrix."""
        projection = calibration.P
        return cls(calibration.width, calibration.height, tuple(projection[:, :3].flatten()),
                   (0.0,) * 5, _IDENTITY, tuple(projection.flatten()),
                   frame_id=calibration.frame_id)

    @property
    def binning(self) -> tuple[int, int]:
        """``(bx, by)``: binning with 0 read as 1."""
        return max(self.binning_x, 1), max(self.binning_y, 1)

    @property
    def full_roi(self) -> tuple[int, int, int, int]:
        """``(x, y, width, height)`` on the sensor: ``roi``, or the whole sensor if unset."""
        x, y, width, height = self.roi
        return (x, y, width, height) if width and height else (0, 0, self.width, self.height)

    @property
    def image_size(self) -> tuple[int, int]:
        """``(width, height)`` of the camera's images: the ROI, binned."""
        _, _, width, height = self.full_roi
        bx, by = self.binning
        return width // bx, height // by

    @property
    def needs_rectification(self) -> bool:
        """False when rectifying would change nothing: no distortion, R = I, P's K = K."""
        return any(self.D) or self.R != _IDENTITY or \
            (self.P[0], self.P[1], self.P[2], self.P[4], self.P[5], self.P[6],
             self.P[8], self.P[9], self.P[10]) != self.K

    def check_rectifiable(self, camera: str) -> None:
        """ValueError, naming ``camera`` and the field, unless images can be rectified.

        An uncalibrated camera_info (K or P all zeros, the driver's default) would give
        garbage: it is refused with what to do about it.
        """
        for field in ("K", "D", "R", "P"):
            _require_finite(self, field)
        if not any(self.K) or not any(self.P):
            matrix = "K" if not any(self.K) else "P"
            raise ValueError(
                f"{camera} camera_info is uncalibrated ({matrix} is all zeros): rectify needs "
                "the camera's calibration (D, K, R, P), e.g. from camera_calibration; or "
                "publish rectified images and set rectify false")
        if self.K[0] <= 0 or self.K[4] <= 0:
            raise ValueError(f"{camera} camera_info K has fx = {self.K[0]}, fy = {self.K[4]}: "
                             "both must be positive to rectify")
        if self.distortion_model not in DISTORTION_MODELS:
            raise ValueError(
                f"{camera} camera_info distortion_model {self.distortion_model!r} cannot be "
                f"rectified; supported: {', '.join(DISTORTION_MODELS)}")
        self._check_distortion(camera)
        rotation = np.array(self.R, dtype=np.float64).reshape(3, 3)
        if np.abs(rotation @ rotation.T - np.eye(3)).max() > _ROTATION_TOLERANCE or \
                abs(np.linalg.det(rotation) - 1.0) > _ROTATION_TOLERANCE:
            raise ValueError(f"{camera} camera_info R is not a rotation (R Rᵀ = I, det R = 1); "
                             "a camera without rectifying rotation has R = I")
        if self.P[0] <= 0 or self.P[5] <= 0:
            raise ValueError(f"{camera} camera_info P has fx = {self.P[0]}, fy = {self.P[5]}: "
                             "both must be positive to rectify")
        width, height = self.image_size
        if width <= 0 or height <= 0:
            raise ValueError(f"{camera} camera_info gives an image of {width}x{height} "
                             "(width, height, roi, binning)")

    def _check_distortion(self, camera: str) -> None:
        model = self.distortion_model
        if model not in DISTORTION_MODELS:
            raise ValueError(f"{camera} camera_info distortion_model {model!r} cannot be "
                             f"rectified; supported: {', '.join(DISTORTION_MODELS)}")
        if model == "equidistant":
            allowed = len(self.D) in (0, 4) or (len(self.D) > 4 and not any(self.D[4:]))
            takes = "4 (more only if zero)"
        else:
            allowed = len(self.D) in (0, *_PINHOLE_LENGTHS)
            takes = f"{DISTORTION_MODELS[model]} (OpenCV reads 4, 5, 8, 12 or 14)"
        if not allowed:
            raise ValueError(f"{camera} camera_info has {len(self.D)} distortion coefficients; "
                             f"{model} takes {takes}")

    def raw_camera_matrix(self) -> np.ndarray:
        """K in the image's pixels (ROI offset removed, binning applied), shape (3, 3)."""
        _require_finite(self, "K")
        x, y, _, _ = self.full_roi
        return _in_image_pixels(np.array(self.K, dtype=np.float64).reshape(3, 3), x, y,
                                *self.binning)

    def rectified_projection(self) -> np.ndarray:
        """P in the rectified image's pixels, shape (3, 4).

        Moved by the raw ROI's offset, as image_geometry and image_proc do (so the
        rectified image of an ROI is the whole image's rectification, cropped there).
        """
        _require_finite(self, "P")
        x, y, _, _ = self.full_roi
        return _in_image_pixels(np.array(self.P, dtype=np.float64).reshape(3, 4), x, y,
                                *self.binning)

    def rectified_calibration(self) -> CameraCalibration:
        """The rectified image's size and projection, for the stereo geometry."""
        width, height = self.image_size
        return CameraCalibration(width, height, self.rectified_projection(), self.frame_id)

    def distortion(self) -> np.ndarray:
        """D as OpenCV takes it, float64: zeros when empty, an equidistant D's first 4."""
        values = self.D or (0.0,) * DISTORTION_MODELS.get(self.distortion_model, 5)
        if self.distortion_model == "equidistant":
            values = values[:4]
        return np.array(values, dtype=np.float64)


def _require_finite(camera: CameraModel, field: str) -> None:
    """ValueError unless every value of ``camera``'s matrix ``field`` is finite."""
    if not np.all(np.isfinite(getattr(camera, field))):
        raise ValueError(f"camera_info {field} contains NaN or infinity")


def _in_image_pixels(matrix: np.ndarray, x: int, y: int, bx: int, by: int) -> np.ndarray:
    """A camera or projection matrix moved by ``-(x, y)`` and scaled by ``1/(bx, by)``."""
    if (x, y, bx, by) == (0, 0, 1, 1):
        return matrix
    moved = matrix.copy()
    moved[0, 2] -= x * moved[2, 2]
    moved[1, 2] -= y * moved[2, 2]
    moved[0] /= bx
    moved[1] /= by
    return moved
