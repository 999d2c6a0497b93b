# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""End-to-end demo: the node on the Middlebury Motorcycle pair, over real DDS.

Starts ``stereo_depth_node`` as its own process, streams the pair (with
camera infos from its calibration) as a camera driver would, receives
``disparity``, ``depth`` and ``points2``, prints per-frame latency and the
accuracy against Middlebury's ground truth, and writes ``disparity.png``,
``depth.png`` and ``cloud.ply`` to the output folder.

Run: ``python -m stereo_depth_node.demo --out demo_output``
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
from pathlib import Path

import cv2
import numpy as np
import rclpy

from stereo_depth_node.offline.ply import write_ply
from stereo_depth_node.offline.visualize import colorize
from stereo_depth_node.ros.config_files import config_file
from stereo_depth_node.ros.memory import keep_large_buffers
from stereo_depth_node.ros.messages import (
    array_from_image,
    disparity_from_message,
    points_from_cloud_message,
)
from stereo_depth_node.testing.metrics import evaluate
from stereo_depth_node.testing.node_process import (
    NodeProcess,
    domain_id_argument,
    isolate_ros_environment,
)
from stereo_depth_node.testing.scenes import StereoScene, motorcycle
from stereo_depth_node.testing.stream_client import Received, StereoStreamClient

OUTPUTS = ("disparity", "depth", "points2")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options of the demo."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("demo_output"), help="output folder")
    parser.add_argument("--params-file", type=Path, default=None,
                        help="node parameters (default: config/stereo_depth.yaml)")
    parser.add_argument("--frames", type=int, default=10, help="frames to stream")
    parser.add_argument("--rate", type=float, default=5.0, help="frames per second")
    parser.add_argument("--domain-id", type=domain_id_argument, default=90 + os.getpid() % 10,
                        help="ROS_DOMAIN_ID of this run (traffic stays on 127.0.0.1)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the demo; exit code 0 when every frame's outputs arrived."""
    args = parse_args(argv)
    env = isolate_ros_environment(args.domain_id)
    keep_large_buffers()
    params_file = args.params_file or config_file("stereo_depth.yaml")
    scene = motorcycle()
    geometry = scene.geometry
    print(f"Motorcycle pair {geometry.width}x{geometry.height}, f = {geometry.fx} px, "
          f"T = {geometry.baseline} m, cx_l - cx_r = {geometry.cx_offset:.3f} px; "
          f"node parameters: {params_file}")
    rclpy.init()
    client = StereoStreamClient(OUTPUTS, name="stereo_depth_demo")
    try:
        with NodeProcess(params_file, env=env) as node:
            if not (client.spin_until(client.connected, timeout=30.0) and
                    client.prime(scene)):
                print("the node did not answer within 60 s; its output:\n" + node.output())
                return 1
            latencies = stream_frames(client, scene, args.frames, args.rate)
            exit_code = node.stop()
        if latencies:
            report(client.received, scene, latencies, args.frames, args.out)
        print(f"node exit code {exit_code}")
    finally:
        client.destroy_node()
        rclpy.try_shutdown()
    return 0 if len(latencies) == args.frames and exit_code == 0 else 1


def stream_frames(client: StereoStreamClient, scene: StereoScene, frames: int,
                  rate: float) -> list[dict[str, float]]:
    """Publish ``frames`` frames at ``rate`` Hz; the latency of each output per frame, ms.

    A frame whose outputs do not all arrive within 10 s is reported and left out.
    """
    latencies = []
    for index in range(frames):
        stamp = (index + 1) * int(1e9 / rate)
        client.publish_pair(scene, stamp)
        if not client.spin_until(functools.partial(all_outputs_arrived, client, stamp), 10.0):
            print(f"frame {index}: outputs missing after 10 s")
            continue
        latency = {t: 1000 * (client.received.arrival[t][stamp] - client.sent_at[stamp])
                   for t in OUTPUTS}
        latencies.append(latency)
        print(f"frame {index:2d}: latency disparity {latency['disparity']:6.1f} ms, "
              f"depth {latency['depth']:6.1f} ms, points2 {latency['points2']:6.1f} ms")
        client.spin_until(lambda: False, max(0.0, 1 / rate - latency["points2"] / 1000))
    return latencies


def all_outputs_arrived(client: StereoStreamClient, stamp: int) -> bool:
    """Whether every output of the frame stamped ``stamp`` has arrived."""
    return all(stamp in client.received.messages.get(topic, {}) for topic in OUTPUTS)


def report(received: Received, scene: StereoScene, latencies: list[dict[str, float]],
           frames: int, out: Path) -> None:
    """Print latency and accuracy of the last frame; write its pictures and cloud to ``out``."""
    stamp = max(received.messages["points2"])
    disparity_msg = received.messages["disparity"][stamp]
    depth = array_from_image(received.messages["depth"][stamp])
    disparity = disparity_from_message(disparity_msg)
    points, rgb = points_from_cloud_message(received.messages["points2"][stamp])

    geometry = scene.geometry
    ground_truth = geometry.published_disparity(scene.ground_truth)
    accuracy = evaluate(disparity, ground_truth, threshold=2.0)
    truth_depth = geometry.depth_from_disparity(ground_truth)
    both = np.isfinite(depth) & np.isfinite(truth_depth)
    depth_error = np.abs(depth[both] - truth_depth[both]) / truth_depth[both]

    out.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out / "disparity.png"),
                colorize(disparity, disparity_msg.min_disparity, disparity_msg.max_disparity))
    cv2.imwrite(str(out / "depth.png"),
                colorize(depth, float(np.nanpercentile(depth, 2)),
                         float(np.nanpercentile(depth, 98))))
    n_points = write_ply(out / "cloud.ply", points, rgb)

    def median(topic: str) -> float:
        return statistics.median(latency[topic] for latency in latencies)

    print(f"\n{len(latencies)}/{frames} frames; median latency: "
          f"disparity {median('disparity'):.1f} ms, depth {median('depth'):.1f} ms, "
          f"points2 {median('points2'):.1f} ms")
    print(f"accuracy vs ground truth: bad-2.0 {accuracy.bad:.1f} % (holes counted as bad), "
          f"{accuracy.bad_kept:.1f} % of estimates; density {accuracy.density:.1f} %; "
          f"mean |error| {accuracy.mean_abs_error:.2f} px; "
          f"median depth error {100 * float(np.median(depth_error)):.2f} %")
    print(f"wrote {out / 'disparity.png'}, {out / 'depth.png'}, "
          f"{out / 'cloud.ply'} ({n_points} points)")


if __name__ == "__main__":
    sys.exit(main())
