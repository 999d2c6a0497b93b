# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""False-colour pictures of disparity and depth maps."""

from __future__ import annotations

import cv2
import numpy as np


def colorize(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Map values to OpenCV's TURBO colour map, unknown values black.

    Parameters
    ----------
    values : numpy.ndarray
        Shape ``(H, W)``, float; NaN or infinite where unknown.
    low, high : float
        Values shown as the map's first and last colour (clipped outside).

    Returns
    -------
    numpy.ndarray
        Shape ``(H, W, 3)``, uint8, B, G, R (ready for ``cv2.imwrite``).
    """
    if not high > low:
        raise ValueError(f"colour range {low}..{high} is empty")
    known = np.isfinite(values)
    scaled = np.zeros(values.shape, dtype=np.uint8)
    scaled[known] = np.clip((values[known] - low) * (255.0 / (high - low)), 0, 255).astype(np.uint8)
    picture = cv2.applyColorMap(scaled, cv2.COLORMAP_TURBO)
    picture[~known] = 0
    return picture
