# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures: the scenes every suite uses, and the node as a real process over DDS.

The builders behind the scene fixtures are in helpers.py, with the other shared helpers.
"""

import faulthandler
import itertools
import os
import subprocess

import pytest

from stereo_depth_node.ros.config_files import config_file
from stereo_depth_node.testing.node_process import (
    NodeProcess,
    isolate_ros_environment,
    ros_environment,
)

import helpers

# Node tests use ROS_DOMAIN_ID 20..39, the demo 90..99; traffic stays on 127.0.0.1.
TEST_DOMAIN_ID = 20 + os.getpid() % 20
_namespaces = itertools.count()


@pytest.fixture(scope="session")
def motorcycle_scene():
    """The Middlebury Motorcycle pair, loaded once (scikit-image decodes it; read-only)."""
    return helpers.load_motorcycle()


@pytest.fixture(scope="session")
def box_scene():
    """The 20 px box in front of the 10 px background (helpers.BOX), seed 5; read-only."""
    return helpers.make_box_scene()


@pytest.fixture(scope="session")
def wall_scene():
    """A textureless wall at 20 px in front of a textured background at 8 px; read-only."""
    return helpers.make_wall_scene()


@pytest.fixture
def tmpfs(tmp_path):
    """``mount(size)``: a tmpfs of ``size`` (bytes, or "1m") at ``tmp_path/disk``: a small disk.

    A real full disk for the offline tools. Mounting needs root (or CAP_SYS_ADMIN): the test
    is skipped where it is not allowed. Unmounted after the test (lazily if a file is still
    open there, which fails the test anyway).
    """
    folder = tmp_path / "disk"
    mounted = []

    def mount(size):
        folder.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                                 str(folder)], capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for path in mounted:
        if subprocess.run(["umount", str(path)]).returncode != 0:
            subprocess.run(["umount", "--lazy", str(path)], check=True)


@pytest.fixture(scope="session")
def ros_env():
    """Isolated DDS environment and an initialised rclpy for this test session."""
    env = isolate_ros_environment(TEST_DOMAIN_ID)
    import rclpy

    rclpy.init()
    yield env
    rclpy.try_shutdown()


@pytest.fixture(scope="session")
def stock_env():
    """The isolated domain's environment with no Fast DDS setting: a stock driver's, a robot's.

    Not applied to this process (which keeps ``ros_env``'s profile): for child processes only.
    """
    return ros_environment(TEST_DOMAIN_ID, profile=None)


@pytest.fixture
def namespace():
    """A namespace of its own for each test, so nodes of different tests never meet."""
    return f"/t{os.getpid()}_{next(_namespaces)}"


@pytest.fixture
def start_node(ros_env, namespace, client):
    """Start the node in this test's namespace; stopped (SIGINT) after the test.

    Needs ``client`` to be set up first, so that it is torn down last: the node stops
    before the test's own nodes are destroyed, so no message is in flight to a reader being
    destroyed (Jazzy's Fast DDS 2.14 hung, spinning, in two such teardowns of 4 runs).
    """
    started = []

    def start(parameters=None, role="stereo_depth_node"):
        node = NodeProcess(config_file("stereo_depth.yaml"), parameters, env=ros_env,
                           ros_args=["-r", f"__ns:={namespace}"], role=role)
        started.append(node)
        return node

    yield start
    for node in started:
        node.__exit__(None, None, None)


@pytest.fixture
def client(ros_env, namespace):
    """Factory for stream clients in this test's namespace."""
    from stereo_depth_node.testing.stream_client import StereoStreamClient

    made = []

    def make(outputs=("disparity", "depth", "points2")):
        made.append(StereoStreamClient(outputs, namespace=namespace,
                                       name=f"client{len(made)}"))
        return made[-1]

    yield make
    for node in made:
        node.destroy_node()


# Past pytest-timeout's 300 s: a test still running then holds the GIL in C code, where
# pytest-timeout cannot end it.
HARD_LIMIT_SECONDS = 320
_stderr = []  # a copy of the run's stderr, made before any test captures it


def pytest_configure(config):
    _stderr.append(os.dup(2))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """End the run, printing every thread's stack, if one test (with its fixtures) hangs.

    faulthandler's watchdog is a C thread: it needs no GIL, so it fires even when the
    main thread is stuck in C code holding it (seen once in Fast DDS 2.14's node teardown,
    spinning for 20 minutes), which pytest-timeout's thread cannot interrupt.
    """
    faulthandler.dump_traceback_later(HARD_LIMIT_SECONDS, exit=True, file=_stderr[0])
    try:
        return (yield)
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.hookimpl(tryfirst=True)  # before the built-in -m selection looks at the markers
def pytest_collection_modifyitems(items):
    """Put the ``ros`` marker on launch_testing's items for the test_launch*.py files.

    launch_testing collects that file as a plain ``pytest.File``, not a ``Module``, so its
    module-level ``pytestmark`` never reaches the launch test's items.
    """
    for item in items:
        if item.path.name.startswith("test_launch"):
            item.add_marker(pytest.mark.ros)
