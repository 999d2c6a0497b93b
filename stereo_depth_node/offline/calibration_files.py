# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Stereo calibrations from files: Middlebury ``calib.txt`` and ROS camera_info YAML."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import yaml

from stereo_depth_node.core.error_text import one_line, yaml_problem
from stereo_depth_node.core.geometry import CameraCalibration

_MATRIX = re.compile(r"^\[(.*)\]$")


def read_middlebury_calib(path: str | Path) -> tuple[CameraCalibration, CameraCalibration]:
    """Left and right calibrations from a Middlebury 2014 ``calib.txt``.

    The file gives ``cam0`` and ``cam1`` (3x3 intrinsics, pixels), ``baseline``
    (millimetres), ``width`` and ``height``. The rectified projection matrices
    are ``P0 = [K0 | 0]`` and ``P1 = [K1 | (-f * baseline_m, 0, 0)]``.
    """
    try:
        text = Path(path).read_text()
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file (a Middlebury calib.txt is text)") from None
    values: dict[str, str] = {}
    for line in text.splitlines():
        if "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    missing = [k for k in ("cam0", "cam1", "baseline", "width", "height") if k not in values]
    if missing:
        raise ValueError(f"{path}: Middlebury calib.txt lacks {', '.join(missing)}")
    try:
        k0, k1 = (_parse_matrix(values[name]) for name in ("cam0", "cam1"))
        baseline_m = float(values["baseline"]) / 1000.0
        width, height = int(values["width"]), int(values["height"])
    except ValueError as error:
        raise ValueError(f"{path}: unreadable value: {error}") from None
    p0 = np.hstack([k0, np.zeros((3, 1))])
    p1 = np.hstack([k1, [[-k1[0, 0] * baseline_m], [0.0], [0.0]]])
    return (CameraCalibration(width, height, p0, "left_camera_optical_frame"),
            CameraCalibration(width, height, p1, "right_camera_optical_frame"))


def _parse_matrix(text: str) -> np.ndarray:
    match = _MATRIX.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a [a b c; d e f; g h i] matrix")
    rows = [[float(v) for v in row.split()] for row in match[1].split(";")]
    matrix = np.array(rows, dtype=np.float64)
    if matrix.shape != (3, 3):
        raise ValueError(f"{text!r} is not 3x3")
    return matrix


def read_camera_info_yaml(path: str | Path) -> CameraCalibration:
    """A calibration from a ROS camera_info YAML (``camera_calibration_parsers`` format).

    Uses ``image_width``, ``image_height``, ``projection_matrix`` and
    ``camera_name`` (as the frame name).
    """
    try:
        document = yaml.safe_load(Path(path).read_bytes())
    except yaml.YAMLError as error:
        raise ValueError(yaml_problem(path, error)) from None
    try:
        width, height = int(document["image_width"]), int(document["image_height"])
        projection = np.asarray(document["projection_matrix"]["data"], dtype=np.float64)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{path}: not a camera_info YAML with image_width, image_height and "
            f"projection_matrix.data ({error.__class__.__name__}: {one_line(str(error))})"
        ) from None
    return CameraCalibration(width, height, projection, str(document.get("camera_name", "")))
