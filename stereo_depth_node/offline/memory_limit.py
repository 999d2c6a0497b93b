# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Peak memory of ``stereo-depth compute``, estimated before anything is decoded or matched.

The model was fitted to the peak resident memory (``ru_maxrss``) of 66
``compute`` runs on random-texture pairs from 1 to 100 megapixels, grey and
colour, both matchers and all four SGBM modes, with and without downsampling,
border matching and a calibration, in the Kilted lane (OpenCV 5.0, NumPy 2.4);
the Jazzy lane (OpenCV 4.6, NumPy 1.26) measured within 6 % of it. The estimate
is above every measured peak: by 1 to 8 % above 1 GB, by up to 45 % below 1 GB
(where the fixed part dominates). Terms, in bytes (``n`` pixels at full size,
``f`` the downsampling factor):

* 100 MB for the interpreter, NumPy and OpenCV;
* the largest of three phases:

  - matching: ``20 n`` plus the matcher's buffers, for an image of ``w x h``
    pixels at the matched scale and ``D`` disparities: StereoSGBM's MODE_HH and
    MODE_HH4 keep costs and path sums for the whole image, ``4 w h D`` (as
    16-bit values; this is what makes SGBM expensive), plus ``56 w D`` of row
    buffers; MODE_SGBM keeps only those rows, ``56 w D``; MODE_SGBM_3WAY
    ``40 w D`` per OpenCV thread; StereoBM nothing worth counting;
  - for the census matcher: its costs and path sums for the whole image,
    ``3 w h D`` (8 and 16 bits), the census codes ``16 w h``, ``12 w D`` of row
    buffers and 90 MB for numba's compiler runtime (measured at 640 x 480 to
    2000 x 1500 with 64 and 128 disparities: 251 to 1395 MB, 3 to 7 % below
    the estimate);
  - refining at full size (right view, left-right check, confidence):
    StereoBM ``(42 + 13 / f^2) n``, StereoSGBM and census ``(37 + 10 / f^2) n``;
  - depth, points and the cloud file, with a calibration: ``72 n``;

* each phase ``3 n`` more per byte an input pixel has beyond 8-bit grey.

Downsampling shrinks the matcher's buffers (by ``f^2`` and the range by ``f``)
but not the refinement at full size, so it helps SGBM's MODE_HH much more than
StereoBM.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import cv2

from stereo_depth_node.core.matching import downsampled_params
from stereo_depth_node.core.parameters import ALGORITHM_BM, ALGORITHM_CENSUS, MatcherParams

GB = 1e9
DEFAULT_MAX_MEMORY_GB = 4.0
BASE_BYTES = 100e6
CENSUS_RUNTIME_BYTES = 90e6  # numba and llvmlite, loaded with the census matcher
MODE_HH, MODE_SGBM_3WAY, MODE_HH4 = 1, 2, 3  # OpenCV's StereoSGBM modes


def estimate_compute_bytes(width: int, height: int, bytes_per_pixel: int, params: MatcherParams,
                           calibrated: bool, threads: int | None = None) -> float:
    """Estimated peak memory, bytes, of ``compute`` on a ``width`` x ``height`` pair.

    Parameters
    ----------
    width, height : int
        Image size, pixels.
    bytes_per_pixel : int
        Of each decoded input image: 1 for 8-bit grey, 3 for 8-bit colour, 2 for 16-bit grey ...
    params : MatcherParams
        The matcher's parameters (algorithm, SGBM mode, range, downsampling).
    calibrated : bool
        Whether depth, points and the cloud are computed too.
    threads : int, optional
        OpenCV's threads (MODE_SGBM_3WAY's buffers are per thread); default ``cv2.getNumThreads()``.
    """
    pixels = float(width) * float(height)
    factor = params.downsample
    reduced = downsampled_params(params)
    matched_width, matched_height = -(-width // factor), -(-height // factor)
    # OpenCV's cost arrays span the columns that have a full search range; the right view is
    # always matched padded by the range, so that is every column (less a negative minimum).
    columns = float(max(matched_width + min(reduced.min_disparity, 0), 1))
    disparities = float(reduced.disparity_range)
    if params.stereo_algorithm == ALGORITHM_BM:
        buffers, refine = 0.0, 42 + 13 / factor**2
    elif params.stereo_algorithm == ALGORITHM_CENSUS:
        refine = 37 + 10 / factor**2
        matched = float(matched_width) * float(matched_height)
        buffers = 3 * matched * disparities + 16 * matched + 12 * matched_width * disparities \
            + CENSUS_RUNTIME_BYTES
    else:
        refine = 37 + 10 / factor**2
        if params.sgbm_mode in (MODE_HH, MODE_HH4):
            buffers = 4 * columns * matched_height * disparities + 56 * columns * disparities
        elif params.sgbm_mode == MODE_SGBM_3WAY:
            threads = cv2.getNumThreads() if threads is None else threads
            buffers = 40 * columns * disparities * max(threads, 1)
        else:
            buffers = 56 * columns * disparities
    extra = 3 * max(bytes_per_pixel - 1, 0)
    phases = [pixels * (20 + extra) + buffers, pixels * (refine + extra)]
    if calibrated:
        phases.append(pixels * (72 + extra))
    return BASE_BYTES + max(phases)


def _gb(size: float) -> str:
    return f"{size / GB:.0f} GB" if size >= 100 * GB else f"{size / GB:.1f} GB"


def check_memory(what: str, width: int, height: int, bytes_per_pixel: int, params: MatcherParams,
                 calibrated: bool, limit_gb: float) -> None:
    """ValueError unless the estimated peak fits ``limit_gb``; it names the estimate and the limit.

    ``what`` names the images (``LEFT and RIGHT``). The message suggests the
    options that bring the estimate under the limit: ``--set downsample=2`` or
    ``4``, a smaller ``--num-disparities`` for StereoSGBM; when none does, it
    says what ``downsample=4`` would still need.
    """
    limit = limit_gb * GB
    needed = estimate_compute_bytes(width, height, bytes_per_pixel, params, calibrated)
    if needed <= limit:
        return

    def estimate(**changes: Any) -> float:
        return estimate_compute_bytes(width, height, bytes_per_pixel,
                                      dataclasses.replace(params, **changes), calibrated)

    options = [(f"--set downsample={factor}", estimate(downsample=factor))
               for factor in (2, 4) if factor > params.downsample]
    if params.stereo_algorithm != ALGORITHM_BM:
        for disparities in range(params.disparity_range - 16, 15, -16):
            if estimate(disparity_range=disparities) <= limit:
                options.append((f"--num-disparities {disparities}",
                                estimate(disparity_range=disparities)))
                break
    fitting = [f"{option} (about {_gb(size)})" for option, size in options if size <= limit]
    if fitting:
        advice = "try " + (", ".join(fitting[:-1]) + " or " if len(fitting) > 1 else "") \
            + fitting[-1]
    else:
        advice = (f"even --set downsample=4 needs about {_gb(estimate(downsample=4))}: "
                  if params.downsample < 4 else "") + \
            "use smaller images or, if the machine has the memory, a higher --max-memory-gb"
    raise ValueError(f"{what} are {width}x{height}: matching them needs about {_gb(needed)} of "
                     f"memory (estimated), more than the limit of {limit_gb:g} GB "
                     f"(--max-memory-gb); {advice}")
