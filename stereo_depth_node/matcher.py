"""Block matching with OpenCV's StereoBM and StereoSGBM, from one parameter set."""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from stereo_depth_node.params import ALGORITHM_BM, MatcherParams

# OpenCV's matchers return disparities in fixed point with 4 fractional bits.
DISPARITY_SCALE = 16
DISPARITY_STEP = 1.0 / DISPARITY_SCALE


class ValidWindow(NamedTuple):
    """Region where the matcher can produce estimates, pixels (``sensor_msgs/RegionOfInterest``)."""

    x_offset: int
    y_offset: int
    width: int
    height: int


def create_matcher(params: MatcherParams) -> cv2.StereoMatcher:
    """OpenCV matcher configured from ``params`` (names as in ``stereo_image_proc``)."""
    if params.stereo_algorithm == ALGORITHM_BM:
        matcher = cv2.StereoBM.create(params.disparity_range, params.correlation_window_size)
        matcher.setPreFilterSize(params.prefilter_size)
        matcher.setPreFilterCap(params.prefilter_cap)
        matcher.setTextureThreshold(params.texture_threshold)
        matcher.setUniquenessRatio(int(round(params.uniqueness_ratio)))
    else:
        matcher = cv2.StereoSGBM.create(
            numDisparities=params.disparity_range,
            blockSize=params.correlation_window_size,
            P1=int(round(params.P1)),
            P2=int(round(params.P2)),
            preFilterCap=params.prefilter_cap,
            uniquenessRatio=int(round(params.uniqueness_ratio)),
            mode=params.sgbm_mode,
        )
    # what both matchers share
    matcher.setMinDisparity(params.min_disparity)
    matcher.setSpeckleWindowSize(params.speckle_size)
    matcher.setSpeckleRange(params.speckle_range)
    # OpenCV disables its left-right check for negative values; ROS uses 0 for "off".
    matcher.setDisp12MaxDiff(params.disp12_max_diff if params.disp12_max_diff > 0 else -1)
    return matcher


def compute_disparity(matcher: cv2.StereoMatcher, left: np.ndarray,
                      right: np.ndarray) -> np.ndarray:
    """Disparity ``x_l - x_r`` of every left pixel.

    Parameters
    ----------
    matcher : cv2.StereoMatcher
        From :func:`create_matcher`.
    left, right : numpy.ndarray
        Rectified grey images, shape ``(H, W)``, uint8, same size.

    Returns
    -------
    numpy.ndarray
        Shape ``(H, W)``, float32, pixels in steps of 1/16; NaN where the matcher
        found no match.

    Raises
    ------
    ValueError
        Images the matcher cannot take, or a block or search range too large for
        them (OpenCV's reason is included).
    """
    if left.shape != right.shape:
        raise ValueError(f"left image is {left.shape} but right is {right.shape}")
    if left.ndim != 2 or left.dtype != np.uint8:
        raise ValueError(f"matcher needs grey uint8 images, got {left.dtype} {left.shape}")
    try:
        fixed_point = matcher.compute(left, right)
    except cv2.error as error:
        raise ValueError(f"OpenCV cannot match a {left.shape[1]}x{left.shape[0]} pair with these "
                         f"parameters: {error.err}") from None
    disparity = fixed_point.astype(np.float32)
    disparity *= np.float32(DISPARITY_STEP)
    disparity[fixed_point < matcher.getMinDisparity() * DISPARITY_SCALE] = np.nan
    return disparity

