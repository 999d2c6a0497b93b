# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Scenes, constants and small helpers shared by the tests.

conftest.py makes fixtures of the scenes; the functions stay importable on their own for
test_launch.py, whose unittest classes take no fixtures. Nothing here imports ROS at module
level, so the quick lane (``pytest -m "not ros"``) can use it too.
"""

import functools
import re
import subprocess
import sys
import time

from stereo_depth_node.testing.raw_scenes import distorted
from stereo_depth_node.testing.scenes import Layer, layered_scene, motorcycle

SECOND = 1_000_000_000  # stamps are integer nanoseconds

# The box scene: a textured 20 px box in front of a textured 10 px background, 320 x 240.
# layered_scene's f = 400 px and T = 0.1 m put the box at f T / 20 px = 2 m.
BOX = Layer(100, 60, 220, 180, 20)
IN_BOX = (slice(100, 140), slice(140, 180))  # well inside the box, clear of its edges
IN_BACKGROUND = (slice(100, 140), slice(240, 300))


def _read_only(scene):
    """The scene, its arrays made read-only: cached scenes are shared by many tests."""
    for array in (scene.left, scene.right, scene.ground_truth):
        array.flags.writeable = False
    return scene


@functools.cache
def make_box_scene(seed=5, background_disparity=10, box=BOX):
    """A textured box in front of a textured background, 320 x 240 mono8 (``layered_scene``).

    The defaults are the box scene above; tests whose assertions depend on another box,
    background or texture seed pass their own. Cached, so read-only: copy before changing.
    """
    return _read_only(layered_scene(width=320, height=240,
                                    background_disparity=background_disparity, layers=(box,),
                                    seed=seed))


@functools.cache
def make_wall_scene():
    """A uniform grey (textureless) wall at 20 px in front of a textured background at 8 px."""
    wall = Layer(140, 60, 260, 180, 20, textureless=True)
    return _read_only(layered_scene(width=320, height=240, background_disparity=8,
                                    layers=(wall,), seed=4))


@functools.cache
def make_tiny_scene():
    """A 40 x 12 pair, smaller than OpenCV's matchers accept with the default parameters."""
    return _read_only(layered_scene(width=40, height=12, background_disparity=2, layers=()))


@functools.cache
def load_motorcycle():
    """The Middlebury Motorcycle pair from scikit-image, loaded once per session (read-only)."""
    return _read_only(motorcycle())


@functools.cache
def load_raw_motorcycle(distortion_model="plumb_bob"):
    """The Motorcycle pair as two tilted cameras with that lens record it; made once.

    With the cameras' full calibrations (see stereo_depth_node.testing.raw_scenes.distorted).
    """
    return distorted(load_motorcycle(), distortion_model)


def run_cli(*args, timeout=120):
    """Run ``stereo-depth ARGS`` to completion in a child process; output captured as text."""
    return subprocess.run([sys.executable, "-m", "stereo_depth_node.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def run_main(capfd, *args):
    """Run ``stereo-depth ARGS`` in this process, faster than ``run_cli``.

    Returns a ``CompletedProcess`` with ``main``'s exit code and what reached file descriptors
    1 and 2 (``capfd``), so native libraries' writes to stderr count too.
    """
    from stereo_depth_node.cli import main

    capfd.readouterr()  # drop what came before
    code = main([str(arg) for arg in args])
    out, err = capfd.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


def assert_one_line_error(result, command, pattern):
    """Exit code 2, no traceback, and stderr exactly one line ``stereo-depth COMMAND: error: ...``.

    ``pattern`` is a regular expression the text after ``error: `` must match in full.
    """
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    prefix = f"stereo-depth {command}: error: "
    assert lines[0].startswith(prefix), lines[0]
    assert re.fullmatch(pattern, lines[0][len(prefix):]), lines[0]


def entries(folder):
    """Names in ``folder``, hidden ones included: compared before and after a failed run."""
    return sorted(path.name for path in folder.iterdir())


def start_cli(*args, env):
    """Start ``stereo-depth ARGS`` in a child process with ``env``; stdout and stderr piped."""
    return subprocess.Popen([sys.executable, "-m", "stereo_depth_node.cli", *map(str, args)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def publish_frame(stream, scene, stamp, right_stamp=None):
    """Publish one frame of ``scene`` with a ``StereoStreamClient``."""
    stream.publish_pair(scene, stamp, right_stamp=right_stamp)


def publish_until(node, publish, condition, timeout, period=0.2):
    """Call ``publish(i)`` (i = 0, 1, ...) every ``period`` s until ``condition()`` holds.

    Spins ``node`` in between. Returns whether the condition held within ``timeout`` s.
    """
    from stereo_depth_node.testing.stream_client import spin_until

    deadline = time.monotonic() + timeout
    index = 0
    while not condition():
        if time.monotonic() > deadline:
            return False
        publish(index)
        index += 1
        spin_until(node, condition, period)
    return True


def input_publishers(stream, topics, types):
    """Publishers on a node's inputs (sensor data QoS, as cameras publish), by topic."""
    from rclpy.qos import qos_profile_sensor_data

    return {topic: stream.create_publisher(msg_type, topic, qos_profile_sensor_data)
            for topic, msg_type in zip(topics, types)}


def publish_set(publishers, messages):
    """Publish one input set: ``messages`` in the ``publishers``' order."""
    for publisher, message in zip(publishers.values(), messages):
        publisher.publish(message)


def send_set(stream, publishers, messages, stamp, outputs, timeout=10.0):
    """Publish one input set until the outputs for ``stamp`` arrive; whether they did.

    Sent again every 0.2 s, as discovery may lag.
    """
    return publish_until(
        stream, lambda _: publish_set(publishers, messages),
        lambda: all(stamp in stream.received.messages.get(t, {}) for t in outputs), timeout)


def connect(client, scene, timeout=30.0):
    """Wait until the node and the client match, and the node answers a frame."""
    assert client.spin_until(client.connected, timeout), "node did not match the client"
    assert client.prime(scene, timeout), "node did not answer"


def send(client, scene, stamp, outputs=("disparity", "depth", "points2"), timeout=10.0,
         **kwargs):
    """Publish one frame; return whether every output for its stamp arrived."""
    publish_frame(client, scene, stamp, **kwargs)
    return client.spin_until(
        lambda: all(stamp in client.received.messages.get(t, {}) for t in outputs), timeout)


def set_parameters(client, namespace, **values):
    """Set the node's parameters through its parameter service; the per-parameter results."""
    from rclpy.parameter import Parameter

    return _parameter_call(client, namespace, lambda parameters: parameters.set_parameters(
        [Parameter(k, value=v) for k, v in values.items()])).results


def get_parameter(client, namespace, name):
    """One of the node's parameter values (a ParameterValue message)."""
    return _parameter_call(client, namespace,
                           lambda parameters: parameters.get_parameters([name])).values[0]


def _parameter_call(client, namespace, call, attempts=5):
    """The response to ``call(AsyncParameterClient)``, asked again while none comes.

    A service can receive a request before it has discovered the client's reply
    reader; Fast DDS then drops the reply ("failed to send response (timeout)").
    Parameter requests are idempotent, so asking again is safe.
    """
    import rclpy
    from rclpy.parameter_client import AsyncParameterClient

    parameters = AsyncParameterClient(client, f"{namespace}/stereo_depth_node")
    assert parameters.wait_for_services(10.0)
    for _ in range(attempts):
        future = call(parameters)
        rclpy.spin_until_future_complete(client, future, timeout_sec=2.0)
        if future.done():
            return future.result()
    raise AssertionError(f"no response from the parameter service in {attempts} attempts")


def statuses(stream, namespace):
    """Subscribe to /diagnostics; the list that this node's statuses are appended to."""
    from diagnostic_msgs.msg import DiagnosticArray

    received = []
    name = f"{namespace}/stereo_depth_node: stereo processing"

    def keep(array):
        received.extend(status for status in array.status if status.name == name)

    stream.create_subscription(DiagnosticArray, "/diagnostics", keep, 10)
    return received


def value_of(status, key):
    """The value of ``key`` in a DiagnosticStatus."""
    return {item.key: item.value for item in status.values}[key]


def raw_request(stream, namespace, service_type, value_type):
    """Send a parameter request whose value type is ``value_type``; the response or None.

    Asked again (up to 5 times) while no response comes: refused requests change nothing.
    """
    import rclpy
    from rcl_interfaces.msg import Parameter as ParameterMessage
    from rcl_interfaces.msg import ParameterValue
    from rcl_interfaces.srv import SetParameters

    name = "set_parameters" if service_type is SetParameters else "set_parameters_atomically"
    client = stream.create_client(service_type, f"{namespace}/stereo_depth_node/{name}")
    assert client.wait_for_service(10.0)
    request = service_type.Request(parameters=[ParameterMessage(
        name="queue_size", value=ParameterValue(type=value_type, integer_value=7))])
    for _ in range(5):  # a reply can be lost before the service discovers the client: ask again
        future = client.call_async(request)
        rclpy.spin_until_future_complete(stream, future, timeout_sec=2.0)
        if future.done():
            break
    stream.destroy_client(client)
    return future.result() if future.done() else None
