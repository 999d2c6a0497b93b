# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""One stereo frame in, disparity, depth and 3-D points out: the ROS-free pipeline.

The node, ``stereo-depth compute`` and ``stereo-depth process`` all run frames
through :class:`StereoProcessor`, so they produce identical results.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from stereo_depth_node.core.geometry import StereoGeometry
from stereo_depth_node.core.image_encoding import to_mono8, to_rgb8
from stereo_depth_node.core.matching import DenseMatcher, ValidWindow
from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.core.point_cloud import pack_rgb
from stereo_depth_node.core.refinement import confidence, fill_holes, lr_check

# What a frame can hold besides the disparity (the node's output topics have these names).
DISPARITY, DEPTH, POINTS, CONFIDENCE = "disparity", "depth", "points2", "confidence"
OUTPUTS = (DISPARITY, DEPTH, POINTS, CONFIDENCE)


@dataclass(frozen=True)
class StereoFrame:
    """Outputs for one stereo pair and what they mean; arrays share the left image's ``(H, W)``.

    Attributes
    ----------
    disparity : numpy.ndarray
        Float32, pixels, ``d = x_l - x_r - (cx_l - cx_r)``; NaN where unknown.
    geometry : StereoGeometry
        The calibration the frame was computed with.
    search : tuple of int
        ``(lowest, highest)`` matcher disparity ``x_l - x_r`` searched, pixels.
    delta_d : float
        Resolution of the disparities, pixels.
    valid_window : ValidWindow
        Where the matcher can produce estimates, pixels.
    depth : numpy.ndarray or None
        Float32, metres, ``Z = f T / d``; NaN where unknown. The 3-D points
        follow from it: :meth:`points`, :meth:`write_cloud`.
    rgb : numpy.ndarray or None
        Shape ``(H, W, 3)``, uint8, the left image in R, G, B order.
    confidence : numpy.ndarray or None
        Float32 in 0..1 (see ``refinement.confidence``); 0 where there is no
        estimate and where holes were filled.
    rectified : tuple of numpy.ndarray or None
        The left and right images as matched, each shape ``(H, W)``, uint8 grey,
        when they were rectified from raw ones (see ``core.rectification``).
    """

    disparity: np.ndarray
    geometry: StereoGeometry
    search: tuple[int, int]
    delta_d: float
    valid_window: ValidWindow
    depth: np.ndarray | None = None
    rgb: np.ndarray | None = None
    confidence: np.ndarray | None = None
    rectified: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def min_disparity(self) -> float:
        """Smallest disparity searched, in the units of :attr:`disparity` (shifted by cx)."""
        return self.search[0] - self.geometry.cx_offset

    @property
    def max_disparity(self) -> float:
        """Largest disparity searched, in the units of :attr:`disparity` (shifted by cx)."""
        return self.search[1] - self.geometry.cx_offset

    def matcher_disparity(self) -> np.ndarray:
        """The disparity as the matcher measures it, ``x_l - x_r``: float32, NaN where unknown."""
        return self.disparity + np.float32(self.geometry.cx_offset)

    def points(self) -> np.ndarray:
        """The 3-D points, computed from the depth on each call.

        Shape ``(H, W, 3)``, float32, metres, left optical frame; NaN where
        unknown (see :meth:`StereoGeometry.points_from_depth`). ValueError
        without depth.
        """
        return self.geometry.points_from_depth(self._require_depth())

    def write_cloud(self, cloud: np.ndarray, step: int = 1) -> None:
        """Write the points, and the colours if ``cloud`` has an ``rgb`` field, into ``cloud``.

        Parameters
        ----------
        cloud : numpy.ndarray
            Structured, shape ``(H', W')`` of every ``step``-th row and column
            (``(H, W)`` for step 1), float32 fields ``x``, ``y``, ``z`` and
            maybe ``rgb`` (a writable :func:`point_cloud.cloud_view`). Each point
            is written once, in place; other bytes (padding) are left as they are.
            Without depth every point is NaN.
        step : int
            Keep every ``step``-th row and column, from the first.

        Raises
        ------
        ValueError
            ``cloud`` has another shape, or it wants colours the frame lacks.
        """
        kept = self.disparity[::step, ::step].shape
        if cloud.shape != kept:
            raise ValueError(f"cloud of shape {cloud.shape} for a frame of "
                             f"{self.disparity.shape} at step {step}: expected {kept}")
        if self.depth is None:  # every point unknown
            for name in ("x", "y", "z"):
                cloud[name] = np.float32(np.nan)
        else:
            self.geometry.back_project(self.depth, cloud["x"], cloud["y"], cloud["z"], step)
        if "rgb" in (cloud.dtype.names or ()):
            if self.rgb is None:
                raise ValueError("a colour cloud layout needs the frame's colours "
                                 "(process with color=True)")
            pack_rgb(self.rgb[::step, ::step], out=cloud["rgb"])

    def within_depth(self, nearest: float, farthest: float) -> StereoFrame:
        """The frame with depth nearer than ``nearest`` or farther than ``farthest`` unknown.

        Metres; 0 means no limit. The disparity and confidence are kept; the
        depth (and so the points) becomes NaN outside the range. The frame
        itself is returned when there is no limit or no depth.
        """
        if self.depth is None or (nearest <= 0 and farthest <= 0):
            return self
        outside = self.depth < np.float32(nearest) if nearest > 0 else \
            np.zeros(self.depth.shape, bool)
        if farthest > 0:
            outside |= self.depth > np.float32(farthest)
        return dataclasses.replace(self, depth=np.where(outside, np.float32(np.nan),
                                                        self.depth))

    def _require_depth(self) -> np.ndarray:
        if self.depth is None:
            raise ValueError("the frame has no depth: process it with depth or points2 "
                             "asked for, and a calibration that gives depth")
        return self.depth

    def disparity_with_invalid_marked(self) -> np.ndarray:
        """The disparity with unknown pixels set to ``min_disparity - 1``.

        ``stereo_msgs/DisparityImage`` marks invalid pixels as any value below
        ``min_disparity``; this is the value ``stereo_image_proc`` writes for a
        parallel rig. Returns a new float32 array.
        """
        return np.where(np.isnan(self.disparity), np.float32(self.min_disparity - 1.0),
                        self.disparity).astype(np.float32, copy=False)


class StereoProcessor:
    """Runs the matcher and the geometry on rectified stereo pairs.

    Parameters
    ----------
    params : MatcherParams
        Matcher configuration; replace it with :meth:`set_params` at any time.
    """

    def __init__(self, params: MatcherParams | None = None) -> None:
        self._matcher = DenseMatcher(params or MatcherParams())

    @property
    def params(self) -> MatcherParams:
        """The parameters in force."""
        return self._matcher.params

    def set_params(self, params: MatcherParams) -> None:
        """Use new (already validated) parameters from the next frame on.

        May be called from another thread while a frame is processed: that frame
        finishes with the parameters it started with.
        """
        self._matcher = DenseMatcher(params)

    def process(self, left: np.ndarray, left_encoding: str, right: np.ndarray,
                right_encoding: str, geometry: StereoGeometry,
                outputs: Collection[str] = (DISPARITY,), color: bool = False) -> StereoFrame:
        """Match one rectified pair and derive the ``outputs`` asked for.

        Parameters
        ----------
        left, right : numpy.ndarray
            Rectified images, shape ``(H, W)`` or ``(H, W, C)``, as read by
            :func:`stereo_depth_node.core.image_encoding.image_to_array`.
        left_encoding, right_encoding : str
            Their ROS encodings; must be equal.
        geometry : StereoGeometry
            Calibration of the pair; its size must equal the images'.
        outputs : collection of str
            Names from :data:`OUTPUTS`: the disparity is always computed, depth
            for ``depth`` and ``points2`` (the points follow from it), only when
            ``geometry`` gives depth (see :attr:`StereoGeometry.depth_refusal`).
        color : bool
            With ``points2``, also the left image's colours (:attr:`StereoFrame.rgb`).

        Raises
        ------
        ValueError
            Mismatched sizes or encodings, an encoding that cannot be matched, or
            an unknown output name.
        """
        unknown = sorted(set(outputs) - set(OUTPUTS))
        if unknown:
            raise ValueError(f"unknown output(s) {', '.join(unknown)}; known: {', '.join(OUTPUTS)}")
        _check_pair(left, left_encoding, right, right_encoding, geometry)
        matcher = self._matcher  # this frame's, even if set_params runs meanwhile
        grey_left = to_mono8(left, left_encoding)
        matched, confidence_map = _match(matcher, grey_left, to_mono8(right, right_encoding),
                                         CONFIDENCE in outputs)
        disparity = geometry.published_disparity(matched)
        gives_depth = geometry.depth_refusal is None
        wants_points = POINTS in outputs and gives_depth
        depth = geometry.depth_from_disparity(disparity) \
            if gives_depth and (DEPTH in outputs or wants_points) else None
        rgb = to_rgb8(left, left_encoding) if wants_points and color else None
        return StereoFrame(disparity, geometry, matcher.search, matcher.step,
                           matcher.valid_window(geometry.width, geometry.height),
                           depth, rgb, confidence_map)


def _match(matcher: DenseMatcher, left: np.ndarray, right: np.ndarray,
           want_confidence: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Matcher disparity after the configured stages, and its confidence if computed.

    Order: match (padded, downsampled), left-right check, confidence,
    ``min_confidence`` threshold, hole filling.
    """
    params = matcher.params
    want_confidence = want_confidence or params.min_confidence > 0
    pair = matcher.match(left, right, want_right=want_confidence or params.needs_right_view)
    disparity, right_disparity = pair.left, pair.right
    confidence_map = None
    if right_disparity is not None:
        if params.lr_check_max_diff > 0:
            disparity = lr_check(disparity, right_disparity, params.lr_check_max_diff)
        if want_confidence:
            confidence_map = confidence(disparity, right_disparity, left, matcher.window,
                                        pair.peak_ratio)
    if confidence_map is not None and params.min_confidence > 0:
        disparity = np.where(confidence_map >= params.min_confidence, disparity,
                             np.float32(np.nan))
        confidence_map = np.where(np.isfinite(disparity), confidence_map, np.float32(0.0))
    if params.fill_holes:
        disparity = fill_holes(disparity)  # filled pixels keep confidence 0
    return disparity, confidence_map


def _check_pair(left: np.ndarray, left_encoding: str, right: np.ndarray, right_encoding: str,
                geometry: StereoGeometry) -> None:
    """ValueError naming the mismatch unless the images and calibration form one pair."""
    if left_encoding != right_encoding:
        raise ValueError(
            f"left image is {left_encoding} but right is {right_encoding}; "
            "both images of a pair must have the same encoding"
        )
    if left.shape[:2] != right.shape[:2]:
        raise ValueError(
            f"left image is {left.shape[1]}x{left.shape[0]} but right is "
            f"{right.shape[1]}x{right.shape[0]}"
        )
    if left.shape[:2] != (geometry.height, geometry.width):
        raise ValueError(
            f"images are {left.shape[1]}x{left.shape[0]} but camera_info says "
            f"{geometry.width}x{geometry.height}"
        )
