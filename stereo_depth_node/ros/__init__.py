# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""ROS 2 plumbing around the core: messages, the node, DDS settings and rosbag2 tools."""
