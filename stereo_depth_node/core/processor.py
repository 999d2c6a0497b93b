"""One stereo frame in, disparity, depth and 3-D points out: the ROS-free pipeline.

The node, ``stereo-depth compute`` and ``stereo-depth process`` all run frames
through :class:`StereoProcessor`, so they produce identical results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stereo_depth_node.core.geometry import StereoGeometry
from stereo_depth_node.core.image_encoding import to_mono8, to_rgb8
from stereo_depth_node.core.matching import DenseMatcher
from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.core.refinement import confidence, fill_holes_background, lr_check


@dataclass(frozen=True)
class StereoFrame:
    """Outputs for one stereo pair; all arrays share the left image's ``(H, W)``.

    Attributes
    ----------
    disparity : numpy.ndarray
        Float32, pixels, ``d = x_l - x_r - (cx_l - cx_r)``; NaN where unknown.
    depth : numpy.ndarray or None
        Float32, metres, ``Z = f T / d``; NaN where unknown.
    points : numpy.ndarray or None
        Shape ``(H, W, 3)``, float32, metres, left optical frame; NaN where unknown.
    rgb : numpy.ndarray or None
        Shape ``(H, W, 3)``, uint8, the left image in R, G, B order.
    confidence : numpy.ndarray or None
        Float32 in 0..1 (see ``consistency.confidence``); 0 where there is no
        estimate and where holes were filled.
    """

    disparity: np.ndarray
    depth: np.ndarray | None = None
    points: np.ndarray | None = None
    rgb: np.ndarray | None = None
    confidence: np.ndarray | None = None


class StereoProcessor:
    """Runs the matcher and the geometry on rectified stereo pairs.

    Parameters
    ----------
    params : MatcherParams
        Matcher configuration; replace it with :meth:`set_params` at any time.
    """

    def __init__(self, params: MatcherParams | None = None) -> None:
        self._params = params or MatcherParams()
        self._matcher = DenseMatcher(self._params)

    @property
    def params(self) -> MatcherParams:
        """The parameters in force."""
        return self._params

    def set_params(self, params: MatcherParams) -> None:
        """Use new (already validated) parameters from the next frame on."""
        self._matcher = DenseMatcher(params)
        self._params = params

    def process(self, left: np.ndarray, left_encoding: str, right: np.ndarray,
                right_encoding: str, geometry: StereoGeometry, *, want_depth: bool = True,
                want_points: bool = False, want_rgb: bool = False,
                want_confidence: bool = False) -> StereoFrame:
        """Match one rectified pair and derive what is asked for.

        Parameters
        ----------
        left, right : numpy.ndarray
            Rectified images, shape ``(H, W)`` or ``(H, W, C)``, as read by
            :func:`stereo_depth_node.core.image_encoding.image_to_array`.
        left_encoding, right_encoding : str
            Their ROS encodings; must be equal.
        geometry : StereoGeometry
            Calibration of the pair; its size must equal the images'.
        want_depth, want_points, want_rgb, want_confidence : bool
            Which optional outputs to compute (points imply depth).

        Raises
        ------
        ValueError
            Mismatched sizes or encodings, or an encoding that cannot be matched.
        """
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
        matched, conf = self._match(to_mono8(left, left_encoding),
                                    to_mono8(right, right_encoding), want_confidence)
        disparity = geometry.published_disparity(matched)
        depth = geometry.depth_from_disparity(disparity) if want_depth or want_points else None
        points = geometry.points_from_depth(depth) if want_points else None
        rgb = to_rgb8(left, left_encoding) if want_rgb else None
        return StereoFrame(disparity, depth, points, rgb, conf)

    def _match(self, left: np.ndarray, right: np.ndarray,
               want_confidence: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """Matcher disparity after the configured stages, and its confidence if computed.

        Order: match (padded, downsampled), left-right check, confidence,
        ``min_confidence`` threshold, hole filling.
        """
        params = self._params
        want_confidence = want_confidence or params.min_confidence > 0
        pair = self._matcher.match(left, right,
                                   want_right=want_confidence or params.needs_right_view)
        disparity = pair.left
        if params.lr_check_max_diff > 0:
            disparity = lr_check(disparity, pair.right, params.lr_check_max_diff)
        conf = confidence(disparity, pair.right, left, params.correlation_window_size) \
            if want_confidence else None
        if params.min_confidence > 0:
            disparity = np.where(conf >= params.min_confidence, disparity, np.float32(np.nan))
            conf = np.where(np.isfinite(disparity), conf, np.float32(0.0))
        if params.fill_holes:
            disparity = fill_holes_background(disparity)  # filled pixels keep confidence 0
        return disparity, conf

    def disparity_bounds(self, geometry: StereoGeometry) -> tuple[float, float]:
        """``(min_disparity, max_disparity)`` searched, in published units (pixels).

        The matcher searches ``min_disparity .. min_disparity + disparity_range - 1``
        in ``x_l - x_r``; published disparities are shifted by ``cx_l - cx_r``, and so
        are these bounds, so that a viewer can scale the image with them.
        """
        low = self._params.min_disparity - geometry.cx_offset
        return low, low + self._params.disparity_range - 1


def fill_invalid(disparity: np.ndarray, min_disparity: float) -> np.ndarray:
    """Replace unknown (NaN) disparities by ``min_disparity - 1``.

    ``stereo_msgs/DisparityImage`` marks invalid pixels as any value below
    ``min_disparity``; this is the value ``stereo_image_proc`` writes for a
    parallel rig. Returns a new float32 array of the same shape.
    """
    return np.where(np.isnan(disparity), np.float32(min_disparity - 1.0),
                    disparity).astype(np.float32, copy=False)
