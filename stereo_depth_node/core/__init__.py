# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The ROS-free core: disparity, depth and point clouds from a rectified stereo pair.

Everything the node computes, as plain Python on NumPy arrays::

    import numpy as np
    from stereo_depth_node.core import (
        MatcherParams, StereoGeometry, StereoProcessor, rectified_calibrations)

    left_calibration, right_calibration = rectified_calibrations(
        width=640, height=480, focal_px=500.0, cx_left=319.5, cy=239.5, baseline_m=0.12)
    geometry = StereoGeometry.from_calibrations(left_calibration, right_calibration)
    processor = StereoProcessor(MatcherParams(stereo_algorithm=1, correlation_window_size=5))
    frame = processor.process(left, "mono8", right, "mono8", geometry, ("depth", "points2"))
    frame.disparity, frame.depth, frame.points()  # (H, W) px, (H, W) m, (H, W, 3) m

Submodules: :mod:`~.parameters` (every parameter, defined once),
:mod:`~.matching` (OpenCV's matchers and what surrounds them),
:mod:`~.refinement` (left-right check, confidence, hole filling),
:mod:`~.processor` (one frame in, outputs out), :mod:`~.geometry`
(disparity, depth, points), :mod:`~.image_encoding` (ROS image buffers,
Bayer images), :mod:`~.camera_model` and :mod:`~.rectification` (raw images
to rectified ones), :mod:`~.compressed` (JPEG and PNG data),
:mod:`~.point_cloud` (PointCloud2 layouts), :mod:`~.synchronizer` (time
synchronization). None of them imports ROS.
"""

from stereo_depth_node.core.camera_model import CameraModel
from stereo_depth_node.core.geometry import (
    CameraCalibration,
    StereoGeometry,
    rectified_calibrations,
)
from stereo_depth_node.core.matching import ValidWindow
from stereo_depth_node.core.parameters import MatcherParams, NodeSettings, ParameterSpec
from stereo_depth_node.core.processor import OUTPUTS, StereoFrame, StereoProcessor
from stereo_depth_node.core.rectification import Rectifier

__all__ = [
    "OUTPUTS",
    "CameraCalibration",
    "CameraModel",
    "MatcherParams",
    "NodeSettings",
    "ParameterSpec",
    "Rectifier",
    "StereoFrame",
    "StereoGeometry",
    "StereoProcessor",
    "ValidWindow",
    "rectified_calibrations",
]
