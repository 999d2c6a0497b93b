# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Where a frame's time goes: each stage of the node's work, timed in one process.

For 640x480 (``config/stereo_depth.yaml``) and 1280x720 (``config/fast.yaml``), on the
synthetic frames of ``node_throughput.py``, with ``disparity``, ``depth`` and ``points2``
in each preset's cloud layout: matching alone (OpenCV at the preset's resolution, with its
padding and downsampling), ``process_inputs`` (disparity only, and
with depth and colours), building each output message, publishing each to a subscriber
in another process (what ``publish`` costs the node: conversion, serialization and the
shared-memory copy), and the whole frame as the node does it, without its threads. Medians
of ``--repeats`` runs, in ms; the last row is the whole frame over matching alone.

Run: ``python benchmarks/stage_costs.py [--repeats 40]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from node_throughput import make_scene  # noqa: E402

from stereo_depth_node.testing.node_process import (  # noqa: E402
    domain_id_argument,
    isolate_ros_environment,
)

OUTPUTS = ("disparity", "depth", "points2")
CASES = (((640, 480), "stereo_depth.yaml"), ((1280, 720), "fast.yaml"))
SUBSCRIBER = """
from stereo_depth_node.ros.memory import keep_large_buffers
keep_large_buffers()
import rclpy
import rclpy.executors
from rclpy.qos import QoSProfile, ReliabilityPolicy
from stereo_depth_node.ros.messages import OUTPUT_TYPES
rclpy.init()
node = rclpy.create_node("stage_costs_subscriber")
for name, message_type in OUTPUT_TYPES.items():
    node.create_subscription(message_type, name, lambda message: None,
                             QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE))
try:
    rclpy.spin(node)
except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
    pass
"""


def median_ms(action: Callable[[], object], repeats: int, pause: float = 0.0) -> float:
    """Median wall time of ``action`` in ms, after one warm-up call."""
    action()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(1000 * (time.perf_counter() - start))
        time.sleep(pause)  # lets the subscriber take each message, as at a camera's rate
    return statistics.median(times)


def measure(size: tuple[int, int], params_file: str, publishers: dict, repeats: int
            ) -> dict[str, float]:
    """Every stage's median ms for one size and preset."""
    from stereo_depth_node.core.matching import DenseMatcher
    from stereo_depth_node.core.parameters import MatcherParams, NodeSettings
    from stereo_depth_node.core.processor import StereoProcessor
    from stereo_depth_node.offline.param_file import load_parameters
    from stereo_depth_node.ros.config_files import config_file
    from stereo_depth_node.ros.messages import (
        CloudBuffer,
        cloud_message,
        disparity_message,
        frame_messages,
        image_message,
        process_inputs,
    )
    from stereo_depth_node.testing.frames import stereo_input_messages

    values = load_parameters(config_file(params_file))
    params, settings = MatcherParams.from_mapping(values), NodeSettings.from_mapping(values)
    layout = settings.cloud_layout
    scene = make_scene(*size)
    inputs = tuple(stereo_input_messages(scene, 1_000_000_000))
    header = inputs[1].header
    processor, buffer = StereoProcessor(params), CloudBuffer()
    matcher = DenseMatcher(params)
    frame = process_inputs(processor, inputs, OUTPUTS, layout.has_color)
    messages = frame_messages(frame, header, OUTPUTS, settings, buffer)

    def whole_frame() -> None:
        processed = process_inputs(processor, inputs, OUTPUTS, layout.has_color)
        for name, message in frame_messages(processed, header, OUTPUTS, settings,
                                            buffer).items():
            publishers[name].publish(message)

    costs = {
        "matching (DenseMatcher)": median_ms(
            lambda: matcher.match(scene.left, scene.right, want_right=False), repeats),
        "process_inputs: disparity": median_ms(
            lambda: process_inputs(processor, inputs, ("disparity",), False), repeats),
        "process_inputs: + depth, colours": median_ms(
            lambda: process_inputs(processor, inputs, OUTPUTS, layout.has_color), repeats),
        "disparity message": median_ms(lambda: disparity_message(frame, header), repeats),
        "depth message": median_ms(lambda: image_message(frame.depth, "32FC1", header),
                                   repeats),
        "points2 message": median_ms(lambda: cloud_message(frame, header, layout, buffer),
                                     repeats),
    }
    for name in OUTPUTS:
        costs[f"publish {name}"] = median_ms(lambda n=name: publishers[n].publish(messages[n]),
                                             repeats, pause=0.05)
    costs["whole frame"] = median_ms(whole_frame, repeats, pause=0.05)
    return costs


def main(argv: list[str] | None = None) -> int:
    """Print one table of stage costs for every case."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--domain-id", type=domain_id_argument, default=50 + os.getpid() % 10)
    args = parser.parse_args(argv)
    env = isolate_ros_environment(args.domain_id)
    from stereo_depth_node.ros.memory import keep_large_buffers

    keep_large_buffers()
    import rclpy
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    from stereo_depth_node.ros.messages import OUTPUT_TYPES

    rclpy.init()
    node = rclpy.create_node("stage_costs")
    reliable = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE)
    publishers = {name: node.create_publisher(OUTPUT_TYPES[name], name, reliable)
                  for name in OUTPUTS}
    subscriber = subprocess.Popen([sys.executable, "-c", SUBSCRIBER], env=env)
    try:
        deadline = time.monotonic() + 30
        while any(p.get_subscription_count() == 0 for p in publishers.values()):
            if time.monotonic() > deadline:
                print("the subscriber process did not connect")
                return 1
            time.sleep(0.1)
        results = {f"{w}x{h} {params_file}": measure((w, h), params_file, publishers,
                                                     args.repeats)
                   for (w, h), params_file in CASES}
    finally:
        subscriber.terminate()
        subscriber.wait()
        node.destroy_node()
        rclpy.try_shutdown()
    stages = list(next(iter(results.values())))
    print("| stage, ms per frame | " + " | ".join(results) + " |")
    print("|---|" + "---:|" * len(results))
    for stage in stages:
        print(f"| {stage} | " + " | ".join(f"{costs[stage]:.2f}" for costs in results.values())
              + " |")
    print("| whole frame / matching | " + " | ".join(
        f"{costs['whole frame'] / costs['matching (DenseMatcher)']:.2f}"
        for costs in results.values()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
