"""The ROS-free core: parameters, matching, refinement, geometry, encodings, clouds, sync."""
