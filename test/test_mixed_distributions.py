# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""A camera driver of one ROS 2 distribution and the node of another, on one host.

Fast DDS 2 (Jazzy) and Fast DDS 3 (Kilted) cannot share memory; with the
mixed-host profile (UDPv4 only) every frame gets through. The other
distribution's interpreter comes from ``OTHER_ROS_PYTHON``, which
``make test-jazzy`` sets to the Kilted environment's. Fast DDS reads its
profile once per process, so the camera side runs in a process of its own:
this file, run as a script.
"""

import os
import re
import subprocess
import sys

import pytest

FRAMES = 20
OTHER_PYTHON = os.environ.get("OTHER_ROS_PYTHON", "")

pytestmark = [
    pytest.mark.ros,
    pytest.mark.skipif(not OTHER_PYTHON,
                       reason="needs another ROS distribution's interpreter in OTHER_ROS_PYTHON "
                              "(make test-jazzy sets the Kilted one)"),
]


def camera_and_foreign_node(domain_id):
    """Stream FRAMES Motorcycle frames at 10 Hz to a node run by OTHER_ROS_PYTHON; print counts."""
    import rclpy

    from stereo_depth_node.ros.config_files import config_file
    from stereo_depth_node.ros.dds_profile import FASTDDS_MIXED_HOST_PROFILE
    from stereo_depth_node.testing.node_process import NodeProcess, isolate_ros_environment
    from stereo_depth_node.testing.scenes import motorcycle
    from stereo_depth_node.testing.stream_client import StereoStreamClient

    env = isolate_ros_environment(domain_id, FASTDDS_MIXED_HOST_PROFILE)
    scene = motorcycle()
    rclpy.init()
    client = StereoStreamClient(("disparity",), name="mixed_host_camera")
    with NodeProcess(config_file("stereo_depth.yaml"), env=env, python=OTHER_PYTHON) as node:
        if not (client.spin_until(client.connected, 30) and client.prime(scene, 30)):
            print("node did not answer:\n" + node.output())
            return
        for index in range(1, FRAMES + 1):  # 1.1 MB images at 10 Hz
            client.publish_pair(scene, index * 1_000_000_000)
            client.spin_until(lambda i=index: client.received.count("disparity") >= i, 0.1)
        client.spin_until(lambda: client.received.count("disparity") == FRAMES, 5.0)
        print(f"received {sorted(client.received.messages.get('disparity', {}))}")
        print(f"node exit code {node.stop()}")
    client.destroy_node()
    rclpy.try_shutdown()


def test_every_frame_crosses_between_distributions():
    result = subprocess.run([sys.executable, __file__, str(44 + os.getpid() % 10)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    received = re.search(r"received \[([\d, ]*)\]", result.stdout)
    assert received, result.stdout
    stamps = [int(s) for s in received[1].split(",") if s.strip()]
    assert stamps == [index * 1_000_000_000 for index in range(1, FRAMES + 1)]
    assert "node exit code 0" in result.stdout


if __name__ == "__main__":
    camera_and_foreign_node(int(sys.argv[1]))
