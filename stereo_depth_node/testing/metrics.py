# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Disparity accuracy against ground truth (Middlebury-style bad-pixel rates)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Accuracy:
    """Accuracy of one disparity map over the pixels with known ground truth.

    Attributes
    ----------
    bad : float
        Percent of pixels that are wrong by more than the threshold or have no
        estimate (holes counted as bad).
    bad_kept : float
        Percent of the estimated pixels that are wrong by more than the threshold.
    density : float
        Percent of pixels that have an estimate.
    mean_abs_error : float
        Mean absolute error over estimated pixels, pixels.
    threshold : float
        The error threshold, pixels.
    """

    bad: float
    bad_kept: float
    density: float
    mean_abs_error: float
    threshold: float


def evaluate(disparity: np.ndarray, ground_truth: np.ndarray, threshold: float = 2.0) -> Accuracy:
    """Compare an estimate with ground truth in the same units.

    Parameters
    ----------
    disparity, ground_truth : numpy.ndarray
        Shape ``(H, W)``, float, pixels; NaN marks no estimate / unknown truth.
    threshold : float
        Error above which a pixel is bad, pixels.
    """
    if disparity.shape != ground_truth.shape:
        raise ValueError(f"estimate {disparity.shape} and ground truth {ground_truth.shape} differ")
    known = np.isfinite(ground_truth)
    n_known = int(known.sum())
    if n_known == 0:
        raise ValueError("ground truth has no known pixel")
    estimate = disparity[known]
    truth = ground_truth[known]
    has_estimate = np.isfinite(estimate)
    error = np.abs(estimate[has_estimate] - truth[has_estimate])
    n_estimated = int(has_estimate.sum())
    wrong = int((error > threshold).sum())
    return Accuracy(
        bad=100.0 * (wrong + n_known - n_estimated) / n_known,
        bad_kept=100.0 * wrong / n_estimated if n_estimated else 0.0,
        density=100.0 * n_estimated / n_known,
        mean_abs_error=float(error.mean()) if n_estimated else float("nan"),
        threshold=threshold,
    )
