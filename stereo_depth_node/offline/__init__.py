"""Files instead of topics: image pairs, calibration and parameter files, PFM, PLY, ``compute``.

ROS-free: imports only :mod:`stereo_depth_node.core`.
"""
