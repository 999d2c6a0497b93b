# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Numba kernels of census-cost semi-global matching: census, Hamming costs, 8-path SGM, WTA.

ROS-free. Importing this module imports numba (about 0.7 s, once per process) and the
first call of each kernel in a process loads its compiled code from numba's cache (or
compiles it, once per machine): only :mod:`stereo_depth_node.core.census` imports it, and
only when a census matcher is made. Every kernel runs over rows (or columns) in parallel.

Shapes: images ``(H, W)`` uint8; census codes ``(H, W)`` uint64; costs ``(H, W, D)``
uint8, for the ``D`` disparities ``min_disparity .. min_disparity + D - 1``; aggregated
costs ``(H, W, D)`` uint16.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

UNKNOWN = -1.0  # a disparity the WTA could not choose (turned into NaN by the caller)



@numba.njit(parallel=True, cache=True, nogil=True, error_model="numpy")
def census_transform(image: np.ndarray, window_width: int,
                     window_height: int) -> np.ndarray:  # pragma: no cover - compiled
    """The census code of every pixel: bit set where a neighbour is darker than it.

    The neighbours are those of a ``window_width`` x ``window_height`` window (odd
    sizes, at most 64 pixels in all: one uint64 code). Borders are clamped (the
    image's edge pixels repeat outwards).
    """
    height, width = image.shape
    half_w, half_h = window_width // 2, window_height // 2
    padded = np.empty((height + 2 * half_h, width + 2 * half_w), np.uint8)
    for y in prange(height + 2 * half_h):
        source = min(max(y - half_h, 0), height - 1)
        for x in range(width + 2 * half_w):
            padded[y, x] = image[source, min(max(x - half_w, 0), width - 1)]
    codes = np.zeros((height, width), np.uint64)
    for y in prange(height):
        row = codes[y]
        centre = image[y]
        for dy in range(window_height):
            for dx in range(window_width):
                if dy == half_h and dx == half_w:
                    continue
                neighbours = padded[y + dy, dx:dx + width]
                for x in range(width):
                    row[x] = (row[x] << np.uint64(1)) | np.uint64(neighbours[x] < centre[x])
    return codes


@numba.njit(inline="always", cache=True, nogil=True, error_model="numpy")
def _popcount(value: np.uint64) -> np.uint8:  # pragma: no cover - compiled
    value = value - ((value >> np.uint64(1)) & np.uint64(0x5555555555555555))
    value = (value & np.uint64(0x3333333333333333)) + \
        ((value >> np.uint64(2)) & np.uint64(0x3333333333333333))
    value = (value + (value >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return np.uint8((value * np.uint64(0x0101010101010101)) >> np.uint64(56))


@numba.njit(parallel=True, cache=True, nogil=True, error_model="numpy")
def hamming_costs(left: np.ndarray, right: np.ndarray, min_disparity: int,
                  count: int) -> np.ndarray:  # pragma: no cover - compiled
    """Hamming distance of left pixel ``x`` to right pixel ``x - d`` for each disparity.

    A right column left of the image takes column 0 (the padding ``border_matching``
    uses: copies of the first column); one right of it takes the last. (Costing such
    disparities at the maximum instead made 1.3 more points of the Motorcycle and Cones
    pairs wrong: a left-border pixel that the right camera does not see then gets a
    wrong disparity that passes the left-right check, instead of failing it and taking
    its neighbour's.)
    """
    height, width = left.shape
    costs = np.empty((height, width, count), np.uint8)
    for y in prange(height):
        for x in range(width):
            code = left[y, x]
            for index in range(count):
                xr = min(max(x - min_disparity - index, 0), width - 1)
                costs[y, x, index] = _popcount(code ^ right[y, xr])
    return costs


@numba.njit(inline="always", cache=True, nogil=True, error_model="numpy")
def _path_step(previous: np.ndarray, cost: np.ndarray, out: np.ndarray, p1: int,
               p2: int) -> None:  # pragma: no cover - compiled
    """One step of a path: ``out[d] = cost[d] + min(prev[d], prev[d±1] + P1, min + P2) - min``.

    ``previous`` and ``out`` are int16 rows of the path's costs over the disparities.
    """
    count = cost.shape[0]
    lowest = previous[0]
    for index in range(1, count):
        lowest = min(lowest, previous[index])
    jump = np.int16(lowest + p2)
    near = np.int16(p1)
    out[0] = cost[0] + min(min(previous[0], jump), previous[1] + near) - lowest
    for index in range(1, count - 1):
        step = min(previous[index - 1], previous[index + 1]) + near
        out[index] = cost[index] + min(min(previous[index], jump), step) - lowest
    last = count - 1
    out[last] = cost[last] + min(min(previous[last], jump), previous[last - 1] + near) - lowest


@numba.njit(inline="always", cache=True, nogil=True, error_model="numpy")
def _penalty(image: np.ndarray, y: int, x: int, y0: int, x0: int, p1: int,
             p2: int) -> int:  # pragma: no cover - compiled
    """P2 for the step from ``(y0, x0)`` to ``(y, x)``: smaller across an intensity edge."""
    step = abs(np.int64(image[y, x]) - np.int64(image[y0, x0]))  # int() of uint8 is unsigned
    penalty = int((p2 * 10) // (10 + step))
    return penalty if penalty > p1 else p1 + 1


def aggregate(costs: np.ndarray, image: np.ndarray, p1: int,
              p2: int) -> np.ndarray:  # pragma: no cover - compiled
    """8-path semi-global aggregation: the sum over paths, uint16 ``(H, W, D)``.

    Each path's cost follows Hirschmueller's recurrence with penalty ``p1`` for a
    disparity change of one and ``p2 * 10 / (10 + |dI|)`` (at least ``p1 + 1``) for
    larger ones, ``dI`` the grey-level step along the path: depth edges usually lie
    at intensity edges. Paths run left-right and right-left (each row in parallel),
    then down, down-left and down-right (row by row, each column in parallel), then
    up, up-left and up-right.
    """
    total = np.zeros(costs.shape, np.uint16)
    aggregate_rows(costs, image, p1, p2, total)
    aggregate_columns(costs, image, p1, p2, total, True)
    aggregate_columns(costs, image, p1, p2, total, False)
    return total


@numba.njit(parallel=True, cache=True, nogil=True, error_model="numpy")
def aggregate_rows(costs: np.ndarray, image: np.ndarray, p1: int, p2: int,
                   total: np.ndarray) -> None:  # pragma: no cover - compiled
    """Add the left-to-right and right-to-left paths to ``total``, each row in parallel."""
    height, width, count = costs.shape
    for y in prange(height):
        previous = np.empty(count, np.int16)
        current = np.empty(count, np.int16)
        for direction in (1, -1):
            start = 0 if direction == 1 else width - 1
            for index in range(count):
                previous[index] = costs[y, start, index]
                total[y, start, index] += costs[y, start, index]
            x = start + direction
            while 0 <= x < width:
                penalty = _penalty(image, y, x, y, x - direction, p1, p2)
                _path_step(previous, costs[y, x], current, p1, penalty)
                cell = total[y, x]
                for index in range(count):
                    cell[index] += current[index]
                previous, current = current, previous
                x += direction


@numba.njit(parallel=True, cache=True, nogil=True, error_model="numpy")
def aggregate_columns(costs: np.ndarray, image: np.ndarray, p1: int, p2: int,
                      total: np.ndarray, downward: bool) -> None:  # pragma: no cover
    """Add the three paths that come from the row above (or below) to ``total``.

    Rows in order; in each row, every column in parallel.
    """
    height, width, count = costs.shape
    dy = 1 if downward else -1
    first = 0 if downward else height - 1
    above = np.empty((3, width, count), np.int16)  # the previous row of each path
    below = np.empty((3, width, count), np.int16)
    for x in prange(width):
        for path in range(3):
            for index in range(count):
                above[path, x, index] = costs[first, x, index]
        for index in range(count):
            total[first, x, index] += 3 * costs[first, x, index]
    for row in range(1, height):
        y = first + dy * row
        for x in prange(width):
            for path in range(3):
                x0 = x + path - 1  # from the upper left, from above, from the upper right
                if x0 < 0 or x0 >= width:  # a path starts here
                    for index in range(count):
                        below[path, x, index] = costs[y, x, index]
                else:
                    penalty = _penalty(image, y, x, y - dy, x0, p1, p2)
                    _path_step(above[path, x0], costs[y, x], below[path, x], p1, penalty)
                cell = total[y, x]
                for index in range(count):
                    cell[index] += below[path, x, index]
        above, below = below, above


@numba.njit(parallel=True, cache=True, nogil=True, error_model="numpy")
def winner_take_all(total: np.ndarray, min_disparity: int,
                    uniqueness: float) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
    """Disparity of the lowest aggregated cost per pixel, sub-pixel, and the peak ratio.

    Sub-pixel by equiangular fit of the best cost and its two neighbours. The peak
    ratio is ``(c2 - c1) / c2``, ``c1`` the lowest cost and ``c2`` the lowest more
    than one disparity away (0 when ``c2`` is 0). A pixel whose ``c1`` is not below
    ``c2 * (1 - uniqueness / 100)`` gets :data:`UNKNOWN`. Returns float32 ``(H, W)``
    disparities (``x_l - x_r``) and float32 ratios.
    """
    height, width, count = total.shape
    disparity = np.empty((height, width), np.float32)
    ratio = np.zeros((height, width), np.float32)
    keep = 1.0 - uniqueness / 100.0
    for y in prange(height):
        for x in range(width):
            best, best_index = np.int64(1 << 30), 0
            for index in range(count):
                value = np.int64(total[y, x, index])
                if value < best:
                    best, best_index = value, index
            second = np.int64(1 << 30)
            for index in range(count):
                value = np.int64(total[y, x, index])
                if abs(index - best_index) > 1 and value < second:
                    second = value
            if second == 1 << 30:
                second = best
            ratio[y, x] = (second - best) / second if second > 0 else 0.0
            if best >= keep * second and second > best:
                disparity[y, x] = UNKNOWN
                continue
            offset = 0.0
            if 0 < best_index < count - 1:
                left = np.int64(total[y, x, best_index - 1])
                right = np.int64(total[y, x, best_index + 1])
                spread = max(left, right) - best
                if spread > 0:
                    offset = 0.5 * (left - right) / spread
            disparity[y, x] = min_disparity + best_index + offset
    return disparity, ratio


@numba.njit(parallel=True, cache=True, nogil=True, error_model="numpy")
def right_view(total: np.ndarray, min_disparity: int) -> np.ndarray:  # pragma: no cover
    """The right image's disparity from the left's aggregated costs.

    For right pixel ``xr`` the disparity ``d`` whose left pixel ``xr + d`` has the
    lowest aggregated cost at ``d`` (integer; :data:`UNKNOWN` where no left pixel
    lies in the image). Float32 ``(H, W)``.
    """
    height, width, count = total.shape
    disparity = np.empty((height, width), np.float32)
    for y in prange(height):
        for xr in range(width):
            best, best_index = np.int64(1 << 30), -1
            for index in range(count):
                x = xr + min_disparity + index
                if 0 <= x < width:
                    value = np.int64(total[y, x, index])
                    if value < best:
                        best, best_index = value, index
            disparity[y, xr] = UNKNOWN if best_index < 0 else min_disparity + best_index
    return disparity
