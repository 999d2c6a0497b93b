# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The node's memory under malformed input of many sizes: does it stay flat across passes?

A client sends the same stream of sets (stereo_depth_node.testing.hostile_inputs: sizes
from 8 x 8 to 1600 x 1200, a fault each, a new calibration or lens in some) several times
to a node that publishes all three outputs; after each pass the node's RSS is read. Memory
that grows with every new size or calibration would grow again in every pass; a high-water
mark reached in the first pass stays where it is.

Target: RSS after the last pass within 5 % of RSS after the first (flat).

Run: ``python benchmarks/hostile_memory.py [--sets 500] [--passes 3] [--rectify]``
"""

from __future__ import annotations

import argparse
import os

import psutil

from stereo_depth_node.testing.node_process import (
    NodeProcess,
    domain_id_argument,
    isolate_ros_environment,
)

FLAT_TOLERANCE = 0.05
RATE = 20.0  # sets per second


def send_pass(client, publishers, sets: int, seed: int) -> None:
    """Publish one pass of the stream, spinning ``client`` between sets."""
    from stereo_depth_node.testing.hostile_inputs import hostile_sets
    from stereo_depth_node.testing.stream_client import spin_until

    for messages in hostile_sets(seed, sets):
        for publisher, message in zip(publishers, messages):
            publisher.publish(message)
        spin_until(client, lambda: False, 1.0 / RATE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", type=int, default=500, help="sets per pass")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--rectify", action="store_true",
                        help="the node rectifies image_raw (maps built per calibration)")
    parser.add_argument("--domain-id", type=domain_id_argument, default=70 + os.getpid() % 10)
    args = parser.parse_args(argv)
    env = isolate_ros_environment(args.domain_id)

    import rclpy
    from rclpy.qos import QoSProfile

    from stereo_depth_node.ros.messages import INPUT_TOPICS, INPUT_TYPES
    from stereo_depth_node.testing.stream_client import StereoStreamClient, spin_until

    rclpy.init()
    client = StereoStreamClient(("disparity", "depth", "points2"), name="hostile_client")
    topics = [topic.replace("/image_rect", "/image_raw") if args.rectify else topic
              for topic in INPUT_TOPICS]
    publishers = [client.create_publisher(kind, topic, QoSProfile(depth=10))
                  for topic, kind in zip(topics, INPUT_TYPES)]
    print(f"| pass | sets | node RSS (MiB){' rectify' if args.rectify else ''} |")
    print("|---|---|---|")
    with NodeProcess(parameters={"rectify": args.rectify}, env=env) as node:
        spin_until(client, lambda: all(p.get_subscription_count() for p in publishers), 30.0)
        process = psutil.Process(node.process.pid)
        rss = []
        for index in range(args.passes):
            send_pass(client, publishers, args.sets, seed=1)
            spin_until(client, lambda: False, 3.0)  # the last sets leave the node
            rss.append(process.memory_info().rss / 2**20)
            print(f"| {index + 1} | {args.sets} | {rss[-1]:.1f} |", flush=True)
        alive = node.process.poll() is None
    client.destroy_node()
    rclpy.try_shutdown()
    growth = rss[-1] / rss[0] - 1
    flat = alive and abs(growth) <= FLAT_TOLERANCE
    print(f"RSS after pass {args.passes} vs pass 1: {100 * growth:+.1f} % "
          f"({'flat' if flat else 'NOT flat'}; target within {100 * FLAT_TOLERANCE:.0f} %); "
          f"node {'alive' if alive else 'DEAD'}")
    return 0 if flat else 1


if __name__ == "__main__":
    raise SystemExit(main())
