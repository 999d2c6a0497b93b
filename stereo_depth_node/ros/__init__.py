"""ROS 2 plumbing around the core: messages, the node, DDS settings and rosbag2 tools."""
