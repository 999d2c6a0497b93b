# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""stereo_image_proc's launch tests as processes, without launch_testing.

The same fixture, nodes, parameters and remappings as ``test_launch_disparity_node.py`` and
``test_launch_point_cloud_node.py``, started here as plain processes (in a namespace of the
test's own), with a subscriber of the QoS image_pipeline's tests use (reliable, depth 1).
"""

import subprocess
import sys

import pytest
import rclpy
from sensor_msgs.msg import PointCloud2
from stereo_msgs.msg import DisparityImage

from stereo_depth_node.testing.node_process import NodeProcess

from stereo_image_proc_checks import check_cloud, check_disparity, first_messages

pytestmark = pytest.mark.ros


@pytest.fixture
def run_fixture(ros_env, namespace, listener):
    """``run(name)``: the fixture publishing in this test's namespace; stopped after the test."""
    started = []

    def run(name):
        started.append(subprocess.Popen(
            [sys.executable, "-m", "stereo_depth_node.testing.stereo_image_proc_fixtures", name,
             "--ros-args", "-r", f"__ns:={namespace}"], env=ros_env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))

    yield run
    for process in started:
        process.send_signal(subprocess.signal.SIGINT)
        output, _ = process.communicate(timeout=10)
        assert process.returncode == 0, output


@pytest.fixture
def listener(ros_env, namespace):
    """A plain node in the test's namespace, as image_pipeline's tests create one."""
    node = rclpy.create_node("test_stereo_image_proc", namespace=namespace)
    yield node
    node.destroy_node()


@pytest.fixture
def start(ros_env, namespace, listener):
    """``start(role, name, parameters, remappings)``: a node of the package in the namespace.

    Stopped before ``listener`` is destroyed (see conftest.py's ``start_node``).
    """
    started = []

    def run(role, name, parameters=None, remappings=()):
        ros_args = ["-r", f"__ns:={namespace}", "-r", f"__node:={name}"]
        for old, new in remappings:
            ros_args += ["-r", f"{old}:={new}"]
        started.append(NodeProcess(parameters=parameters, env=ros_env, ros_args=ros_args,
                                   role=role))
        return started[-1]

    yield run
    for node in started:
        assert node.stop() == 0, node.output()


def test_disparity_node_with_the_stereo_fixture(run_fixture, start, listener):
    run_fixture("stereo")
    node = start("disparity_node", "disparity_node", {
        "qos_overrides./left/image_rect_color.subscription.reliability": "reliable",
        "qos_overrides./right/image_rect_color.subscription.reliability": "reliable"})
    message = first_messages(listener, {"disparity": DisparityImage})["disparity"]
    assert message is not None, node.output()
    check_disparity(message)


def test_point_cloud_node_with_the_disparity_fixture(run_fixture, start, listener, namespace):
    run_fixture("disparity")
    colour = start("point_cloud_node", "point_cloud_node", {"use_color": True})
    xyz = start("point_cloud_node", "point_cloud_node_xyz", {"use_color": False},
                remappings=[(f"{namespace}/points2", f"{namespace}/xyz/points2")])
    messages = first_messages(listener, {"points2": PointCloud2, "xyz/points2": PointCloud2})
    assert messages["points2"] is not None, colour.output()
    assert messages["xyz/points2"] is not None, xyz.output()
    check_cloud(messages["points2"], point_step=32)
    check_cloud(messages["xyz/points2"], point_step=16)
    for node in (colour, xyz):
        assert "disparity image encoding '' is not 32FC1; read as 32FC1" in node.output()
