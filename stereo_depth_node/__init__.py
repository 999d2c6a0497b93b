# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Disparity, depth and point clouds from a calibrated stereo camera, for ROS 2."""
