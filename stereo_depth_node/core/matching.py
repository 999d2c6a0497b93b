# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Dense matching with OpenCV's StereoBM and StereoSGBM.

One OpenCV call, and what surrounds it: border padding, the right view and
downsampled matching. ROS-free. All disparities are matcher disparities ``x_l - x_r`` in pixels,
float32, NaN where unknown.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import cv2
import numpy as np

from stereo_depth_node.core.census import CENSUS_WIDTH, CensusMatcher
from stereo_depth_node.core.parameters import ALGORITHM_BM, ALGORITHM_CENSUS, MatcherParams

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
    matcher: cv2.StereoMatcher
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


class MatchedPair(NamedTuple):
    """Left-view and, when asked for, right-view disparity at full resolution.

    ``right`` holds, for each right pixel ``x_r``, the disparity ``x_l - x_r`` of
    its match in the left image. ``peak_ratio`` (float32, 0..1) is how far each
    pixel's lowest matching cost stands out, from matchers that expose their costs
    (census); None from OpenCV's.
    """

    left: np.ndarray
    right: np.ndarray | None
    peak_ratio: np.ndarray | None = None


def search_pad(params: MatcherParams) -> int:
    """Columns of left padding that give every pixel a full search range."""
    return max(params.min_disparity + params.disparity_range, 0)


def match_view(matcher: cv2.StereoMatcher, reference: np.ndarray, other: np.ndarray,
               pad: int) -> np.ndarray:
    """Disparity of ``reference`` (as the left view) against ``other``, padded by ``pad``.

    Both images get ``pad`` copies of their first column on the left, so the
    matcher searches its full range for pixels near the left border too. The
    copies have no texture, so the padding adds no cost to any candidate and a
    block that only matches padding is rejected by the matcher's texture and
    uniqueness tests. (Black padding would match black padding at disparity 0
    and pull the first columns towards 0: on the Motorcycle pair that left a
    wrong band up to 50 px wide where the background is not visible to the
    right camera.)
    """
    if pad == 0:
        return compute_disparity(matcher, reference, other)
    padded = [cv2.copyMakeBorder(image, 0, 0, pad, 0, cv2.BORDER_REPLICATE)
              for image in (reference, other)]
    return compute_disparity(matcher, *padded)[:, pad:]


def right_view(matcher: cv2.StereoMatcher, left: np.ndarray, right: np.ndarray,
               pad: int) -> np.ndarray:
    """Disparity of every right pixel, by matching the mirrored pair (right as reference)."""
    mirrored = match_view(matcher, np.ascontiguousarray(right[:, ::-1]),
                          np.ascontiguousarray(left[:, ::-1]), pad)
    return np.ascontiguousarray(mirrored[:, ::-1])


def downsampled_params(params: MatcherParams) -> MatcherParams:
    """Matcher parameters for images shrunk by ``params.downsample``.

    The search range and block shrink with the image (range rounded up to a
    multiple of 16, block kept odd and at least 5).
    """
    factor = params.downsample
    if factor == 1:
        return params
    disparity_range = max(16, -(-params.disparity_range // (16 * factor)) * 16)
    block = max(5, (params.correlation_window_size // factor) | 1)
    # SGBM's penalties are in units of its block's summed costs; census's do not change.
    scale = 1.0 if params.stereo_algorithm == ALGORITHM_CENSUS else \
        (block / params.correlation_window_size) ** 2
    return dataclasses.replace(params, disparity_range=disparity_range,
                               min_disparity=params.min_disparity // factor,
                               correlation_window_size=block, P1=params.P1 * scale,
                               P2=params.P2 * scale, downsample=1)


def nearest_source(size: int, reduced_size: int) -> np.ndarray:
    """The reduced index each of ``size`` full-size indexes takes in :func:`upsample_disparity`.

    OpenCV's nearest-neighbour resize: ``min(floor(i * reduced_size / size), reduced_size - 1)``;
    shape ``(size,)``, int64. (Not ``i // factor`` when ``size`` is no multiple of the factor.)
    """
    scale = reduced_size / size
    source: np.ndarray = np.minimum(np.floor(np.arange(size) * scale).astype(np.int64),
                                    reduced_size - 1)
    return source


def _enlarged_span(start: int, stop: int, reduced_size: int, size: int) -> tuple[int, int]:
    """Full-size ``[begin, end)`` that :func:`upsample_disparity` fills from ``[start, stop)``."""
    source = nearest_source(size, reduced_size)
    inside = np.flatnonzero((source >= start) & (source < stop))
    return (int(inside[0]), int(inside[-1]) + 1) if inside.size else (0, 0)


def upsample_disparity(disparity: np.ndarray, factor: int, shape: tuple[int, int]) -> np.ndarray:
    """Bring a disparity map matched at ``1/factor`` scale to ``shape``, in full-size pixels.

    Nearest neighbour (:func:`nearest_source` gives which reduced pixel each one takes).
    """
    if factor == 1:
        return disparity
    enlarged = cv2.resize(disparity, (shape[1], shape[0]), interpolation=cv2.INTER_NEAREST)
    return enlarged * np.float32(factor)


class DenseMatcher:
    """Runs the configured matching: padding, downsampling and the optional right view.

    Knows what the matching means for the output, computed once per parameter
    set (and image size): the disparities searched, their resolution and the
    window where estimates can exist.

    Parameters
    ----------
    params : MatcherParams
        Full-resolution parameters; ``downsample`` selects the matching scale,
        ``border_matching`` the padding, ``needs_right_view`` the right view.

    Attributes
    ----------
    search : tuple of int
        ``(lowest, highest)`` matcher disparity ``x_l - x_r`` searched, pixels:
        ``min_disparity .. min_disparity + disparity_range - 1``.
    step : float
        Resolution of the disparities, pixels (``DisparityImage.delta_d``):
        OpenCV's 1/16 px at the matched scale, ``downsample / 16`` at full resolution.
    window : int
        Width of the matching window in full-resolution pixels: the block of
        StereoBM and StereoSGBM, the census window of the census matcher.
    """

    def __init__(self, params: MatcherParams) -> None:
        self.params = params
        self.search = (params.min_disparity, params.min_disparity + params.disparity_range - 1)
        self.step = DISPARITY_STEP * params.downsample
        self._reduced = downsampled_params(params)
        census = params.stereo_algorithm == ALGORITHM_CENSUS
        self._census = CensusMatcher(self._reduced) if census else None
        self.window = CENSUS_WIDTH * params.downsample if census else \
            params.correlation_window_size
        self._matcher = None if census else create_matcher(self._reduced)
        self._pad = search_pad(self._reduced) if params.border_matching and not census else 0
        self._window: tuple[tuple[int, int], ValidWindow] | None = None  # for the last size

    def valid_window(self, width: int, height: int) -> ValidWindow:
        """Window of potentially valid disparities for an image of ``width`` x ``height``.

        Outside it the matcher has no full block or no full search range, so it
        never produces an estimate there. This is OpenCV's window (its left edge
        is ``min_disparity + disparity_range + block // 2 - 1``); with
        ``border_matching`` the images are padded by the search range, which
        moves that edge left by the padding, to ``block // 2 - 1``. With
        ``downsample`` above 1 the window is OpenCV's for the reduced images and
        parameters, scaled back to full resolution (and clipped to the image).
        The window is exact for StereoBM; StereoSGBM also gives estimates in the
        band outside it, as with ``stereo_image_proc``, which reports the same window.
        """
        if self._window is None or self._window[0] != (width, height):
            self._window = ((width, height), self._window_at_full_size(width, height))
        return self._window[1]

    def _window_at_full_size(self, width: int, height: int) -> ValidWindow:
        factor, reduced, pad = self.params.downsample, self._reduced, self._pad
        reduced_width, reduced_height = max(width // factor, 1), max(height // factor, 1)
        roi = (0, 0, reduced_width + pad, reduced_height)
        if self._census is not None:  # every row; the left band with border matching
            x = 0 if reduced.border_matching else \
                max(reduced.min_disparity + reduced.disparity_range - 1, 0)
            y, w, h = 0, max(reduced_width - x, 0), reduced_height
        else:
            x, y, w, h = (int(v) for v in cv2.getValidDisparityROI(
                roi, roi, reduced.min_disparity, reduced.disparity_range,
                reduced.correlation_window_size))
        left, right = _enlarged_span(max(x - pad, 0), max(x + w - pad, 0), reduced_width, width)
        top, bottom = _enlarged_span(y, y + h, reduced_height, height)
        return ValidWindow(left, top, max(right - left, 0), max(bottom - top, 0))

    def match(self, left: np.ndarray, right: np.ndarray, want_right: bool = False) -> MatchedPair:
        """Match grey uint8 images of shape ``(H, W)``; see :class:`MatchedPair`."""
        factor = self.params.downsample
        shape = (left.shape[0], left.shape[1])
        if factor > 1:
            size = (max(shape[1] // factor, 1), max(shape[0] // factor, 1))
            left, right = (cv2.resize(image, size, interpolation=cv2.INTER_AREA)
                           for image in (left, right))
        peak_ratio = None
        if self._census is not None:
            census = self._census.match(left, right, want_right)
            disparity, right_disparity, peak_ratio = census
        else:
            assert self._matcher is not None
            disparity = match_view(self._matcher, left, right, self._pad)
            # The right view is always padded: unpadded, its own border band (the left
            # image's right edge) would have no estimate and fail every left pixel there.
            right_disparity = right_view(self._matcher, left, right,
                                         search_pad(self._reduced)) if want_right else None
        if factor > 1:
            # The reduced search is rounded outwards; keep only the range asked for.
            disparity = self._within_search(upsample_disparity(disparity, factor, shape))
            if right_disparity is not None:
                right_disparity = self._within_search(
                    upsample_disparity(right_disparity, factor, shape))
            if peak_ratio is not None:
                peak_ratio = upsample_disparity(peak_ratio, factor, shape) / np.float32(factor)
        return MatchedPair(disparity, right_disparity, peak_ratio)

    def _within_search(self, disparity: np.ndarray) -> np.ndarray:
        """``disparity`` with values outside :attr:`search` set to NaN (in place)."""
        low, high = self.search
        disparity[(disparity < low) | (disparity > high)] = np.nan
        return disparity
