# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Files instead of topics: image pairs, calibration and parameter files, PFM, PLY, ``compute``.

ROS-free: imports only :mod:`stereo_depth_node.core`.
"""
