# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Raw camera images made from a rectified scene: distorted, rotated, Bayer-patterned.

ROS-free. :func:`distorted` turns a rectified pair into what two real cameras would
see through a known lens (a distortion model) mounted a little askew (a rotation),
with the full calibration that undoes it; :func:`bayer_mosaic` samples a colour image
through a colour filter array. Both have exact answers: the rectified scene they came
from, and the colour image.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from stereo_depth_node.core.camera_model import CameraModel
from stereo_depth_node.core.geometry import CameraCalibration
from stereo_depth_node.testing.scenes import StereoScene

# A mild wide-angle lens: k1, k2, p1, p2, k3 (plumb_bob), k1..k6 as well (rational_polynomial),
# k1..k4 (equidistant).
LENSES = {
    "plumb_bob": (-0.12, 0.03, 0.0008, -0.0005, 0.0),
    "rational_polynomial": (-0.12, 0.03, 0.0008, -0.0005, 0.0, 0.01, -0.005, 0.002),
    "equidistant": (-0.02, 0.004, -0.001, 0.0002),
}
# Where a colour filter array's top-left 2 x 2 pixels take R (0), G (1) and B (2) from.
BAYER_PATTERNS = {"rggb": ((0, 1), (1, 2)), "bggr": ((2, 1), (1, 0)),
                  "gbrg": ((1, 2), (0, 1)), "grbg": ((1, 0), (2, 1))}


@dataclass(frozen=True)
class RawStereoScene:
    """A raw pair with the calibration that rectifies it into ``rectified``.

    Attributes
    ----------
    left, right : numpy.ndarray
        Raw images, the rectified scene's shape and dtype; 0 where the lens sees
        beyond the rectified images.
    left_camera, right_camera : CameraModel
        Their calibrations (K, D, R and the rectified scene's P).
    rectified : StereoScene
        The scene the raw images were made from.
    """

    left: np.ndarray
    right: np.ndarray
    left_camera: CameraModel
    right_camera: CameraModel
    rectified: StereoScene


def rotation(degrees_about_y: float, degrees_about_x: float) -> np.ndarray:
    """A rotation matrix, shape (3, 3), float64, of these angles about y and x (one axis-angle)."""
    vector = np.radians([degrees_about_x, degrees_about_y, 0.0])
    matrix, _ = cv2.Rodrigues(vector)
    return np.asarray(matrix, dtype=np.float64)


def distorted(scene: StereoScene, distortion_model: str = "plumb_bob",
              tilts: tuple[float, float] = (0.4, -0.3)) -> RawStereoScene:
    """The raw pair that two cameras with a lens of ``distortion_model`` would record.

    The cameras are tilted by ``tilts`` (degrees about y for the left camera, about x for
    the right). The raw camera matrix is the rectified projection's with fx and fy 3 % larger and
    the principal point moved by (4, -3) px; R undoes the tilt. Each raw pixel samples
    the rectified image where rectification sends it (bilinear).
    """
    cameras = [_raw_camera(calibration, distortion_model, rotation(*angles))
               for calibration, angles in ((scene.left_calibration, (tilts[0], 0.0)),
                                           (scene.right_calibration, (0.0, tilts[1])))]
    left, right = (_unrectify(image, camera) for image, camera in
                   zip((scene.left, scene.right), cameras))
    return RawStereoScene(left, right, cameras[0], cameras[1], scene)


def bayer_mosaic(rgb: np.ndarray, pattern: str) -> np.ndarray:
    """Sample an R, G, B image through a colour filter array.

    Parameters
    ----------
    rgb : numpy.ndarray
        Shape ``(H, W, 3)``, uint8 or uint16, channels R, G, B; H and W even.
    pattern : str
        One of :data:`BAYER_PATTERNS` (ROS's ``bayer_<pattern>8`` / ``16``).

    Returns
    -------
    numpy.ndarray
        Shape ``(H, W)``, ``rgb``'s dtype: one colour per pixel.
    """
    mosaic = np.empty(rgb.shape[:2], dtype=rgb.dtype)
    for row, channels in enumerate(BAYER_PATTERNS[pattern]):
        for column, channel in enumerate(channels):
            mosaic[row::2, column::2] = rgb[row::2, column::2, channel]
    return mosaic


def _raw_camera(calibration: CameraCalibration, distortion_model: str,
                tilt: np.ndarray) -> CameraModel:
    projection = calibration.P
    matrix = np.array([[projection[0, 0] * 1.03, 0.0, projection[0, 2] + 4.0],
                       [0.0, projection[1, 1] * 1.03, projection[1, 2] - 3.0],
                       [0.0, 0.0, 1.0]])
    return CameraModel(calibration.width, calibration.height, tuple(matrix.flatten()),
                       LENSES[distortion_model], tuple(tilt.flatten()),
                       tuple(projection.flatten()), distortion_model,
                       frame_id=calibration.frame_id)


def undistort_points(points: np.ndarray, camera: CameraModel) -> np.ndarray:
    """Full-resolution raw pixels to full-resolution rectified pixels.

    Parameters
    ----------
    points : numpy.ndarray
        Shape ``(N, 2)``, float64, raw pixel coordinates ``(u, v)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(N, 2)``, float64, their coordinates in the rectified image (``P``).
    """
    matrix = np.array(camera.K, dtype=np.float64).reshape(3, 3)
    rotation = np.array(camera.R, dtype=np.float64).reshape(3, 3)
    projection = np.array(camera.P, dtype=np.float64).reshape(3, 4)
    undistort = cv2.fisheye.undistortPoints if camera.distortion_model == "equidistant" \
        else cv2.undistortPoints
    moved = undistort(points.reshape(-1, 1, 2), matrix, camera.distortion(), R=rotation,
                      P=projection)
    return np.asarray(moved, dtype=np.float64).reshape(-1, 2)


def _unrectify(image: np.ndarray, camera: CameraModel) -> np.ndarray:
    """The raw image whose rectification is ``image``: it sampled at each raw pixel's place."""
    height, width = image.shape[:2]
    u, v = np.meshgrid(np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64))
    rectified = undistort_points(np.stack([u.ravel(), v.ravel()], axis=1), camera)
    map_x = rectified[:, 0].reshape(height, width).astype(np.float32)
    map_y = rectified[:, 1].reshape(height, width).astype(np.float32)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
