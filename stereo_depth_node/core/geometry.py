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

# Depth is computed down to this fraction of a pixel of disparity (OpenCV's 1/16 px).
DEPTH_STEPS_PER_PIXEL = 16


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

    @property
    def baseline(self) -> float:
        """``T = -P[0,3] / P[0,0]``, metres: the rig's baseline, read from a right camera.

        NaN where ``P[0,0]`` (fx) is 0; never -0.0.
        """
        fx = float(self.P[0, 0])
        return -float(self.P[0, 3]) / fx + 0.0 if fx != 0 else float("nan")


class CalibrationError(ValueError):
    """A calibration that gives no metric depth (a disparity can still be computed)."""


# Left and right rectified intrinsics are equal: fx, fy and cy may differ by this fraction of
# the focal length (cx may differ: verged rigs). The right camera's vertical offset may be this
# fraction of its horizontal one.
RECTIFIED_TOLERANCE = 1e-3
FLOAT32_MAX = float(np.finfo(np.float32).max)
# What float32 arithmetic on pixel coordinates can hold: focal lengths from MIN_FOCAL_PX up,
# principal points (and so cx_l - cx_r) within MAX_PRINCIPAL_POINT_PX of the image origin.
MIN_FOCAL_PX = 1e-3
MAX_PRINCIPAL_POINT_PX = 1e6


def depth_refusal(left: CameraCalibration, right: CameraCalibration) -> str | None:
    """Why a rectified pair's calibration gives no metric depth, or None when it does.

    Both cameras need positive focal lengths, values that float32 depth can
    hold, equal ``fx``, ``fy`` and ``cy`` (within :data:`RECTIFIED_TOLERANCE`),
    a horizontal rig (right ``P[1,3]`` zero) and a positive baseline.
    """
    for camera, calibration in (("left", left), ("right", right)):
        for name, (row, column) in (("fx", (0, 0)), ("fy", (1, 1))):
            value = float(calibration.P[row, column])
            if not value > 0:
                return f"{camera} P[{row},{column}] ({name}) = {value} must be positive"
            if not MIN_FOCAL_PX <= value <= FLOAT32_MAX:
                return (f"{camera} P[{row},{column}] ({name}) = {value:g} px is beyond what "
                        f"float32 depth can hold ({MIN_FOCAL_PX:g}..{FLOAT32_MAX:.3g} px)")
        cy = float(calibration.P[1, 2])
        if abs(cy) > MAX_PRINCIPAL_POINT_PX:
            return (f"{camera} P[1,2] (cy) = {cy:g} px is beyond what float32 points can hold "
                    f"(|cy| <= {MAX_PRINCIPAL_POINT_PX:g} px)")
    fx, fy = float(left.P[0, 0]), float(left.P[1, 1])
    for name, (row, column) in (("fx", (0, 0)), ("fy", (1, 1)), ("cy", (1, 2))):
        difference = abs(float(right.P[row, column]) - float(left.P[row, column]))
        if difference > RECTIFIED_TOLERANCE * fy:
            return (f"left and right P[{row},{column}] ({name}) are {left.P[row, column]} and "
                    f"{right.P[row, column]}; a rectified pair has equal {name} (within "
                    f"{RECTIFIED_TOLERANCE:g} of the focal length)")
    if abs(right.P[1, 3]) > RECTIFIED_TOLERANCE * abs(right.P[0, 3]):
        return (f"right P[1,3] = {right.P[1, 3]}: the right camera is offset vertically; "
                "rectified stereo needs a horizontal rig (right P[1,3] = 0)")
    baseline = right.baseline
    if not baseline > 0:
        return (f"right P[0,3] = {right.P[0, 3]} gives baseline T = -P[0,3]/fx = {baseline} m; "
                "it must be positive: the right camera's P[0,3] is -fx * baseline (negative)")
    if fx * baseline * DEPTH_STEPS_PER_PIXEL > FLOAT32_MAX:
        return (f"fx * T = {fx * baseline:g} px m is beyond what float32 depth can hold at "
                f"1/{DEPTH_STEPS_PER_PIXEL} px disparity")
    return None


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
        Distance between the optical centres, metres (``T``; positive when the
        calibration gives depth, as computed otherwise).
    frame_id : str
        Left optical frame: every output is expressed in it.
    depth_refusal : str or None
        Why this calibration gives no metric depth (see :func:`depth_refusal`),
        or None when it does.
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
    depth_refusal: str | None = None

    @classmethod
    def from_calibrations(cls, left: CameraCalibration,
                          right: CameraCalibration) -> "StereoGeometry":
        """Validate a left/right calibration pair and derive the geometry.

        The baseline is ``T = -P_right[0, 3] / P_right[0, 0]``. The right
        camera's ``frame_id`` may differ from the left's (it does on real
        drivers) and is not used. A pair that gives no metric depth still
        gives a disparity (as with ``stereo_image_proc``): its geometry carries
        the reason in :attr:`depth_refusal`, and depth and points refuse it.

        Raises
        ------
        ValueError
            Different or non-positive image sizes: not even a disparity then.
        """
        if (left.width, left.height) != (right.width, right.height):
            raise ValueError(
                f"left camera_info is {left.width}x{left.height} but right is "
                f"{right.width}x{right.height}; a rectified pair has one size"
            )
        if left.width <= 0 or left.height <= 0:
            raise ValueError(f"camera_info size {left.width}x{left.height} must be positive")
        for camera, calibration in (("left", left), ("right", right)):
            cx = float(calibration.P[0, 2])
            if abs(cx) > MAX_PRINCIPAL_POINT_PX:  # the disparity is shifted by cx_l - cx_r
                raise ValueError(f"{camera} P[0,2] (cx) = {cx:g} px is beyond what a float32 "
                                 f"disparity can hold (|cx| <= {MAX_PRINCIPAL_POINT_PX:g} px)")
        return cls(width=int(left.width), height=int(left.height), fx=float(left.P[0, 0]),
                   fy=float(left.P[1, 1]), cx=float(left.P[0, 2]), cy=float(left.P[1, 2]),
                   cx_right=float(right.P[0, 2]), baseline=right.baseline,
                   frame_id=left.frame_id, depth_refusal=depth_refusal(left, right))

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

    def require_depth(self) -> None:
        """Raise :class:`CalibrationError` with the reason if this geometry gives no depth."""
        if self.depth_refusal is not None:
            raise CalibrationError(self.depth_refusal)

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
        self.require_depth()
        depth = np.full(disparity.shape, np.nan, dtype=np.float32)
        np.divide(np.float32(self.fx * self.baseline), disparity, out=depth,
                  where=disparity > 0)  # False for NaN
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
        points = np.empty(depth.shape + (3,), dtype=np.float32)
        self.back_project(depth, points[:, :, 0], points[:, :, 1], points[:, :, 2])
        return points

    def back_project(self, depth: np.ndarray, x: np.ndarray, y: np.ndarray,
                     z: np.ndarray, step: int = 1) -> None:
        """Write the points of every ``step``-th row and column of a depth image.

        ``x``, ``y`` and ``z`` are float32 arrays of the shape of
        ``depth[::step, ::step]``; they may be strided views, such as the fields
        of a point cloud's records, so the points are written once, where they
        are kept. See :meth:`points_from_depth` for the formulas and units.
        """
        self.require_depth()
        height, width = depth.shape
        columns = (np.arange(0, width, step, dtype=np.float32) - np.float32(self.cx)) \
            / np.float32(self.fx)
        rows = (np.arange(0, height, step, dtype=np.float32) - np.float32(self.cy)) \
            / np.float32(self.fy)
        kept = depth[::step, ::step]
        np.multiply(kept, columns[None, :], out=x)
        np.multiply(kept, rows[:, None], out=y)
        np.copyto(z, kept)


def depth_in_millimetres(depth: np.ndarray) -> np.ndarray:
    """REP 118's 16-bit depth: millimetres, 0 where unknown.

    Parameters
    ----------
    depth : numpy.ndarray
        Shape ``(H, W)``, float32, metres; NaN where unknown.

    Returns
    -------
    numpy.ndarray
        Same shape, uint16: ``round(1000 Z)``; 0 where ``Z`` is unknown or its
        millimetres do not fit (beyond 65.535 m).
    """
    millimetres = np.rint(depth * np.float32(1000.0))
    fits = (millimetres >= 1) & (millimetres <= np.iinfo(np.uint16).max)  # False for NaN
    return np.where(fits, millimetres, 0).astype(np.uint16)


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
