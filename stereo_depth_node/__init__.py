"""Disparity, depth and point clouds from a calibrated stereo camera, for ROS 2."""
