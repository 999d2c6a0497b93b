# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Rectified stereo geometry: disparity ↔ depth ↔ 3-D points.

ROS-free. A :class:`StereoGeometry` is built once per calibration from the two
cameras' projection matrices, validated before any maths, and then converts
whole images with NumPy.

Conventions (those of ``stereo_msgs/DisparityImage``):

* *matcher disparity* ``x_l - x_r`` is what block matching measures;
* *disparity* ``d = x_l - x_r - (cx_l - cx_r)`` is what is published, so that
  ``Z = f * T / d`` holds for verged rigs too. The principal-point offset is
  applied exactly once, here, and nowhere else;
* points are in the left camera's optical frame (x right, y down, z forward),
  metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CameraCalibration:
    """The parts of a ``sensor_msgs/CameraInfo`` that rectified stereo needs.

    Attributes
    ----------
    width, height : int
        Image size, pixels.
    P : numpy.ndarray
        Projection matrix, shape ``(3, 4)``, float64 (pixels; ``P[0, 3]`` is
        ``-fx * baseline`` for a right camera, metres times pixels).
    frame_id : str
        Optical frame of the camera.
    """

    width: int
    height: int
    P: np.ndarray
    frame_id: str = ""

    def __post_init__(self) -> None:
        projection = np.asarray(self.P, dtype=np.float64)
        if projection.size != 12:
            raise ValueError(f"projection matrix P must have 12 values, got {projection.size}")
        projection = projection.reshape(3, 4)
        if not np.all(np.isfinite(projection)):
            raise ValueError("projection matrix P contains NaN or infinity")
        object.__setattr__(self, "P", projection)


@dataclass(frozen=True)
class StereoGeometry:
    """Geometry of a rectified stereo pair, left camera as reference.

    Attributes
    ----------
    width, height : int
        Image size, pixels.
    fx, fy : float
        Focal lengths of the rectified left camera, pixels.
    cx, cy : float
        Principal point of the rectified left camera, pixels.
    cx_right : float
        Principal point column of the rectified right camera, pixels.
    baseline : float
        Distance between the optical centres, metres (``T``, positive).
    frame_id : str
        Left optical frame: every output is expressed in it.
    """

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    cx_right: float
    baseline: float
    frame_id: str = ""

    @classmethod
    def from_calibrations(cls, left: CameraCalibration,
                          right: CameraCalibration) -> "StereoGeometry":
        """Validate a left/right calibration pair and derive the geometry.

        The baseline is ``T = -P_right[0, 3] / P_right[0, 0]``. The right
        camera's ``frame_id`` may differ from the left's (it does on real
        drivers) and is not used.

        Raises
        ------
        ValueError
            Different image sizes, a non-positive focal length, or a baseline
            that is zero, negative (``P_right[0, 3]`` of the wrong sign) or not finite.
        """
        if (left.width, left.height) != (right.width, right.height):
            raise ValueError(
                f"left camera_info is {left.width}x{left.height} but right is "
                f"{right.width}x{right.height}; a rectified pair has one size"
            )
        if left.width <= 0 or left.height <= 0:
            raise ValueError(f"camera_info size {left.width}x{left.height} must be positive")
        fx, fy = left.P[0, 0], left.P[1, 1]
        fx_right = right.P[0, 0]
        for name, value in (("left P[0,0] (fx)", fx), ("left P[1,1] (fy)", fy),
                            ("right P[0,0] (fx)", fx_right)):
            if not value > 0:
                raise ValueError(f"{name} = {value} must be positive")
        baseline = -right.P[0, 3] / fx_right
        if not baseline > 0:
            raise ValueError(
                f"right P[0,3] = {right.P[0, 3]} gives baseline T = -P[0,3]/fx = {baseline} m; "
                "it must be positive: the right camera's P[0,3] is -fx * baseline (negative)"
            )
        return cls(width=int(left.width), height=int(left.height), fx=float(fx), fy=float(fy),
                   cx=float(left.P[0, 2]), cy=float(left.P[1, 2]),
                   cx_right=float(right.P[0, 2]), baseline=float(baseline),
                   frame_id=left.frame_id)

    @property
    def cx_offset(self) -> float:
        """``cx_l - cx_r``, pixels: zero for parallel rigs, non-zero for verged ones."""
        return self.cx - self.cx_right

    def published_disparity(self, matcher_disparity: np.ndarray) -> np.ndarray:
        """Shift matcher disparities ``x_l - x_r`` to ``d = x_l - x_r - (cx_l - cx_r)``.

        Parameters
        ----------
        matcher_disparity : numpy.ndarray
            Shape ``(H, W)``, float32, pixels; NaN where unknown.

        Returns
        -------
        numpy.ndarray
            Same shape and dtype; NaN stays NaN.
        """
        if self.cx_offset == 0.0:
            return matcher_disparity
        return matcher_disparity - np.float32(self.cx_offset)

    def depth_from_disparity(self, disparity: np.ndarray) -> np.ndarray:
        """Depth ``Z = fx * T / d`` per pixel (REP 118).

        Parameters
        ----------
        disparity : numpy.ndarray
            Published disparity ``d``, shape ``(H, W)``, float32, pixels.

        Returns
        -------
        numpy.ndarray
            Shape ``(H, W)``, float32, metres; NaN where ``d`` is not a positive number.
        """
        depth = np.full(disparity.shape, np.nan, dtype=np.float32)
        positive = disparity > 0  # False for NaN
        depth[positive] = np.float32(self.fx * self.baseline) / disparity[positive]
        return depth

    def points_from_depth(self, depth: np.ndarray) -> np.ndarray:
        """Back-project a depth image into the left optical frame.

        Parameters
        ----------
        depth : numpy.ndarray
            Shape ``(H, W)``, float32, metres; NaN where unknown.

        Returns
        -------
        numpy.ndarray
            Shape ``(H, W, 3)``, float32, metres: ``x = (u - cx) Z / fx``,
            ``y = (v - cy) Z / fy``, ``z = Z``; all three NaN where depth is unknown.
        """
        height, width = depth.shape
        u = (np.arange(width, dtype=np.float32) - np.float32(self.cx)) / np.float32(self.fx)
        v = (np.arange(height, dtype=np.float32) - np.float32(self.cy)) / np.float32(self.fy)
        points = np.empty((height, width, 3), dtype=np.float32)
        np.multiply(depth, u[None, :], out=points[:, :, 0])
        np.multiply(depth, v[:, None], out=points[:, :, 1])
        points[:, :, 2] = depth
        return points


def rectified_calibrations(width: int, height: int, focal_px: float, cx_left: float, cy: float,
                           baseline_m: float, cx_right: float | None = None,
                           left_frame: str = "left_camera_optical_frame",
                           right_frame: str = "right_camera_optical_frame",
                           ) -> tuple[CameraCalibration, CameraCalibration]:
    """Left and right calibrations of an ideal rectified rig.

    ``cx_right`` defaults to ``cx_left`` (a parallel rig); the right projection
    matrix carries ``P[0, 3] = -focal_px * baseline_m``.
    """
    cx_right = cx_left if cx_right is None else cx_right

    def projection(cx: float, tx: float) -> np.ndarray:
        return np.array([[focal_px, 0.0, cx, tx], [0.0, focal_px, cy, 0.0], [0.0, 0.0, 1.0, 0.0]])

    return (CameraCalibration(width, height, projection(cx_left, 0.0), left_frame),
            CameraCalibration(width, height, projection(cx_right, -focal_px * baseline_m),
                              right_frame))
