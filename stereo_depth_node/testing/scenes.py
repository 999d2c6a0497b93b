# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Stereo scenes with ground truth: the Middlebury Motorcycle pair and synthetic layers.

ROS-free. Every scene carries its calibration, so that the same data feeds
the core, the node (as ``CameraInfo``) and the offline tools.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from stereo_depth_node.core.geometry import (
    CameraCalibration,
    StereoGeometry,
    rectified_calibrations,
)

# Calibration of the Middlebury 2014 Motorcycle pair at the size scikit-image ships (741 x 500).
MOTORCYCLE_FOCAL_PX = 994.978
MOTORCYCLE_CX_LEFT_PX = 311.193
MOTORCYCLE_CY_PX = 254.877
MOTORCYCLE_DOFFS_PX = 31.086  # cx_right - cx_left
MOTORCYCLE_BASELINE_M = 0.193001


@dataclass(frozen=True)
class StereoScene:
    """A rectified pair with calibration and ground truth.

    Attributes
    ----------
    left, right : numpy.ndarray
        Shape ``(H, W, 3)`` uint8 R, G, B, or ``(H, W)`` uint8 grey.
    encoding : str
        ``"rgb8"`` or ``"mono8"``.
    ground_truth : numpy.ndarray
        Matcher disparity ``x_l - x_r``, shape ``(H, W)``, float32, pixels; NaN where unknown.
    left_calibration, right_calibration : CameraCalibration
        Rectified projection matrices.
    """

    left: np.ndarray
    right: np.ndarray
    encoding: str
    ground_truth: np.ndarray
    left_calibration: CameraCalibration
    right_calibration: CameraCalibration

    @property
    def geometry(self) -> StereoGeometry:
        """The validated stereo geometry of the pair."""
        return StereoGeometry.from_calibrations(self.left_calibration, self.right_calibration)


def motorcycle() -> StereoScene:
    """The Middlebury 2014 Motorcycle pair from scikit-image, 741 x 500, with its calibration.

    Ground truth is Middlebury's (non-finite values become NaN).
    """
    from skimage import data

    left, right, disparity = data.stereo_motorcycle()
    ground_truth = np.where(np.isfinite(disparity), disparity, np.nan).astype(np.float32)
    height, width = ground_truth.shape
    left_cal, right_cal = rectified_calibrations(
        width, height, MOTORCYCLE_FOCAL_PX, MOTORCYCLE_CX_LEFT_PX, MOTORCYCLE_CY_PX,
        MOTORCYCLE_BASELINE_M, cx_right=MOTORCYCLE_CX_LEFT_PX + MOTORCYCLE_DOFFS_PX)
    return StereoScene(np.ascontiguousarray(left), np.ascontiguousarray(right), "rgb8",
                       ground_truth, left_cal, right_cal)


def random_texture(height: int, width: int, seed: int) -> np.ndarray:
    """Band-limited random grey texture, shape ``(height, width)``, uint8, full contrast."""
    rng = np.random.default_rng(seed)
    noise = rng.random((height, width)).astype(np.float32)
    blurred = cv2.GaussianBlur(noise, (0, 0), 1.0)
    span = blurred.max() - blurred.min()
    return np.round(255 * (blurred - blurred.min()) / span).astype(np.uint8)


@dataclass(frozen=True)
class Layer:
    """A fronto-parallel textured rectangle at a constant integer disparity.

    ``x0 .. x1 - 1`` and ``y0 .. y1 - 1`` are its left-image columns and rows;
    a ``textureless`` layer is a uniform grey wall.
    """

    x0: int
    y0: int
    x1: int
    y1: int
    disparity: int
    textureless: bool = False


def layered_scene(width: int = 320, height: int = 240, background_disparity: int = 8,
                  layers: tuple[Layer, ...] = (), focal_px: float = 400.0,
                  baseline_m: float = 0.1, seed: int = 0) -> StereoScene:
    """Synthetic grey scene: a textured background plane and rectangles in front of it.

    Rendering is exact: a right pixel ``u_r`` on row ``v`` shows the nearest
    surface whose left-image column ``u_r + d`` lies inside it, with that
    surface's texture at ``(v, u_r + d)``. Ground truth is the nearest surface's
    disparity in every left pixel; left pixels hidden from the right camera
    (occluded) and pixels whose match falls outside the right image are NaN.

    Layers may be given in any order: nearer layers (larger disparity) hide farther ones.
    """
    order = sorted(layers, key=lambda layer: layer.disparity)
    for layer in order:
        if layer.disparity <= background_disparity:
            raise ValueError("every layer must be nearer (larger disparity) than the background")
    rows, cols = np.mgrid[0:height, 0:width]
    surface_index = np.zeros((height, width), dtype=np.int32)  # per left pixel, 0 = background
    disparities = [background_disparity] + [layer.disparity for layer in order]
    textures = [random_texture(height, width + max(disparities), seed + i)
                for i in range(len(disparities))]
    for i, layer in enumerate(order, start=1):
        if layer.textureless:
            textures[i] = np.full_like(textures[i], 128)
    for i, layer in enumerate(order, start=1):
        surface_index[layer.y0:layer.y1, layer.x0:layer.x1] = i
    left = np.choose(surface_index, [texture[:, :width] for texture in textures]).astype(np.uint8)

    right = np.zeros((height, width), dtype=np.uint8)
    right_depth_order = np.full((height, width), -1, dtype=np.int32)
    for i, d in enumerate(disparities):
        u_left = cols + d
        inside = u_left < width
        covers = np.zeros((height, width), dtype=bool)
        covers[inside] = surface_index[rows[inside], u_left[inside]] == i
        if i == 0:  # the background extends beyond the left image's right edge
            covers |= ~inside
        right[covers] = textures[i][rows[covers], u_left[covers]]
        right_depth_order[covers] = i

    ground_truth = np.array(disparities, dtype=np.float32)[surface_index]
    u_right = cols - ground_truth.astype(np.int32)
    visible = u_right >= 0
    visible[visible] = right_depth_order[rows[visible], u_right[visible]] == surface_index[visible]
    ground_truth[~visible] = np.nan
    left_cal, right_cal = rectified_calibrations(width, height, focal_px, (width - 1) / 2,
                                                 (height - 1) / 2, baseline_m)
    return StereoScene(left, right, "mono8", ground_truth, left_cal, right_cal)


def slanted_scene(width: int = 320, height: int = 240, top_disparity: float = 6.0,
                  bottom_disparity: float = 30.0, focal_px: float = 400.0,
                  baseline_m: float = 0.1, seed: int = 0) -> StereoScene:
    """Synthetic grey scene: one textured plane whose disparity grows linearly down the image.

    Like a floor seen by a forward-looking camera: row ``v`` has disparity
    ``top + (bottom - top) * v / (height - 1)`` (sub-pixel). The right image
    samples the texture at ``u_r + d`` with linear interpolation. Ground truth is
    exact; pixels whose match falls outside the right image are NaN.
    """
    texture = random_texture(height, width, seed).astype(np.float32)
    rows = np.arange(height, dtype=np.float32)
    row_disparity = top_disparity + (bottom_disparity - top_disparity) * rows / (height - 1)
    map_x = (np.arange(width, dtype=np.float32)[None, :] + row_disparity[:, None])
    map_y = np.repeat(rows[:, None], width, axis=1)
    right = cv2.remap(texture, map_x.astype(np.float32), map_y, cv2.INTER_LINEAR,
                      borderMode=cv2.BORDER_REFLECT)
    ground_truth = np.repeat(row_disparity[:, None], width, axis=1).astype(np.float32)
    ground_truth[np.arange(width)[None, :] < row_disparity[:, None]] = np.nan
    left_cal, right_cal = rectified_calibrations(width, height, focal_px, (width - 1) / 2,
                                                 (height - 1) / 2, baseline_m)
    return StereoScene(np.round(texture).astype(np.uint8),
                       np.clip(np.round(right), 0, 255).astype(np.uint8), "mono8",
                       ground_truth, left_cal, right_cal)
