# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Census-cost semi-global matching: the matcher behind ``stereo_algorithm: 2``.

ROS-free. The cost of matching left pixel ``x`` with right pixel ``x - d`` is the
Hamming distance of their 9 x 7 census codes (which neighbours are darker than the
centre), so it does not change when one camera's exposure or gain does. Costs are
aggregated along 8 paths (Hirschmueller's SGM) with penalty ``P1`` for a disparity
change of one pixel and up to ``P2`` for larger ones, less across intensity edges; each
pixel takes the disparity of its lowest aggregated cost, refined to sub-pixel. The right
image's disparity comes from the same aggregated costs, and the cost curve gives a
confidence of its own: the peak ratio ``(c2 - c1) / c2`` of the best cost ``c1`` and the
best more than a pixel away ``c2``.

Costs are uint8 and aggregated costs uint16, ``H x W x D`` each: 59 MB at 640 x 480 with
64 disparities. The numba kernels (:mod:`stereo_depth_node.core.census_kernels`) are
imported when the first :class:`CensusMatcher` is made.
"""

from __future__ import annotations

import functools
import importlib
from types import ModuleType
from typing import NamedTuple

import cv2
import numpy as np

from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.core.refinement import lr_check

CENSUS_WIDTH, CENSUS_HEIGHT = 9, 7  # the census window: 62 comparisons, one uint64 code
MEDIAN_SIZE = 5  # the winner-take-all disparity is median-filtered over 5 x 5 pixels


class CensusResult(NamedTuple):
    """A census match: float32 ``(H, W)`` arrays; disparities ``x_l - x_r``, NaN where unknown.

    ``right`` holds, for each right pixel, the disparity of its match in the left image
    (None when not asked for); ``peak_ratio`` is 0..1, higher where the lowest cost
    stands out more.
    """

    left: np.ndarray
    right: np.ndarray | None
    peak_ratio: np.ndarray


@functools.cache
def _kernels() -> ModuleType:
    """The numba kernels, imported on first use (so the other matchers never load numba).

    Each kernel runs once on a small pair here, so that loading their compiled code
    (or compiling it, the first time on a machine) happens when the first census
    matcher is made, not on the first frame.
    """
    kernels = importlib.import_module("stereo_depth_node.core.census_kernels")
    image = np.zeros((8, 24), np.uint8)
    codes = kernels.census_transform(image, CENSUS_WIDTH, CENSUS_HEIGHT)
    total = kernels.aggregate(kernels.hamming_costs(codes, codes, 0, 16), image, 8, 96)
    kernels.winner_take_all(total, 0, 0.0)
    kernels.right_view(total, 0)
    return kernels


class CensusMatcher:
    """Census-cost SGM with the parameters of a :class:`MatcherParams`.

    Uses ``min_disparity``, ``disparity_range``, ``P1``, ``P2`` (penalties in
    Hamming-cost units), ``uniqueness_ratio``, ``speckle_size`` and
    ``speckle_range``, ``disp12_max_diff`` (a left-right check on the matched
    disparities) and ``border_matching`` (without it, the columns left of
    ``min_disparity + disparity_range - 1`` get no estimate, as with OpenCV's matchers).
    """

    def __init__(self, params: MatcherParams) -> None:
        self.params = params
        self._kernels = _kernels()

    def match(self, left: np.ndarray, right: np.ndarray, want_right: bool) -> CensusResult:
        """Match grey uint8 images of one shape ``(H, W)``; see :class:`CensusResult`."""
        if left.shape != right.shape:
            raise ValueError(f"left image is {left.shape} but right is {right.shape}")
        if left.ndim != 2 or left.dtype != np.uint8:
            raise ValueError(f"matcher needs grey uint8 images, got {left.dtype} {left.shape}")
        params, kernels = self.params, self._kernels
        low, count = params.min_disparity, params.disparity_range
        codes = [kernels.census_transform(np.ascontiguousarray(image), CENSUS_WIDTH, CENSUS_HEIGHT)
                 for image in (left, right)]
        costs = kernels.hamming_costs(codes[0], codes[1], low, count)
        total = kernels.aggregate(costs, left, int(round(params.P1)), int(round(params.P2)))
        del costs
        disparity, peak_ratio = kernels.winner_take_all(total, low, params.uniqueness_ratio)
        needs_right = want_right or params.disp12_max_diff > 0
        right_disparity = kernels.right_view(total, low) if needs_right else None
        del total
        disparity = self._filtered(disparity)
        if right_disparity is not None:
            right_disparity[right_disparity == kernels.UNKNOWN] = np.nan
        if params.disp12_max_diff > 0 and right_disparity is not None:
            disparity = lr_check(disparity, right_disparity, params.disp12_max_diff)
        return CensusResult(disparity, right_disparity if want_right else None, peak_ratio)

    def _filtered(self, disparity: np.ndarray) -> np.ndarray:
        """3 x 3 median, speckles removed, the border band cut; unknown pixels become NaN."""
        params = self.params
        unknown = self._kernels.UNKNOWN
        filtered = cv2.medianBlur(disparity, MEDIAN_SIZE)
        filtered[disparity == unknown] = unknown
        if params.speckle_size > 0:
            fixed = np.round(filtered * 16).astype(np.int16)
            fixed[filtered == unknown] = -32768
            cv2.filterSpeckles(fixed, -32768, params.speckle_size, params.speckle_range * 16)
            filtered[fixed == -32768] = unknown
        filtered[filtered == unknown] = np.nan
        if not params.border_matching:
            filtered[:, :max(params.min_disparity + params.disparity_range - 1, 0)] = np.nan
        return filtered
