# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""How many large best-effort messages arrive between two processes, with and without the profile.

A publisher process sends N messages of a given size at a given rate with
SensorData QoS (best effort) or reliable QoS; a subscriber process counts
them. Run once with Fast DDS's defaults and once with
config/fastdds_large_messages.xml. Every run is on 127.0.0.1 in its own domain.

Usage: python benchmarks/dds_large_messages.py [--count 50] [--rate 10]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import time

SIZES_MB = (1.1, 12.0)
DOMAIN_ID = 98


def _environment(use_profile: bool) -> None:
    from stereo_depth_node.ros.dds_profile import fastdds_profile_variable
    from stereo_depth_node.testing.node_process import isolate_ros_environment

    isolate_ros_environment(DOMAIN_ID)
    if not use_profile:
        del os.environ[fastdds_profile_variable()]


def _qos(reliable: bool):
    from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

    if reliable:
        return QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
    return qos_profile_sensor_data


def subscriber(use_profile: bool, reliable: bool, ready, done, result) -> None:
    _environment(use_profile)
    import rclpy
    from sensor_msgs.msg import Image

    rclpy.init()
    node = rclpy.create_node("large_message_subscriber")
    received = []
    node.create_subscription(Image, "large", lambda m: received.append(m.header.stamp.sec),
                             _qos(reliable))
    ready.set()
    while not done.is_set():
        rclpy.spin_once(node, timeout_sec=0.05)
    end = time.monotonic() + 2.0
    while time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.05)
    result.put(len(set(received)))
    rclpy.shutdown()


def publisher(use_profile: bool, reliable: bool, size_mb: float, count: int, rate: float,
              done) -> None:
    _environment(use_profile)
    import rclpy
    from sensor_msgs.msg import Image

    rclpy.init()
    node = rclpy.create_node("large_message_publisher")
    pub = node.create_publisher(Image, "large", _qos(reliable))
    deadline = time.monotonic() + 20.0
    while pub.get_subscription_count() == 0 and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
    time.sleep(1.0)  # let the subscriber's side of discovery finish too
    width = 1000
    height = max(1, int(size_mb * 1e6 / width))
    message = Image(height=height, width=width, encoding="mono8", step=width,
                    data=bytes(width * height))
    for index in range(count):
        message.header.stamp.sec = index + 1
        pub.publish(message)
        time.sleep(1.0 / rate)
    done.set()
    rclpy.shutdown()


def run(use_profile: bool, reliable: bool, size_mb: float, count: int, rate: float) -> int:
    context = mp.get_context("spawn")
    ready, done, result = context.Event(), context.Event(), context.Queue()
    sub = context.Process(target=subscriber, args=(use_profile, reliable, ready, done, result))
    sub.start()
    ready.wait(30)
    pub = context.Process(target=publisher,
                          args=(use_profile, reliable, size_mb, count, rate, done))
    pub.start()
    pub.join(120)
    received = result.get(timeout=60)
    sub.join(30)
    return received


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10.0)
    args = parser.parse_args()
    print(f"| transport | QoS | {' | '.join(f'{s} MB' for s in SIZES_MB)} |")
    print("|---|---|" + "---|" * len(SIZES_MB))
    for use_profile in (False, True):
        for reliable in (False, True):
            counts = [run(use_profile, reliable, size, args.count, args.rate) for size in SIZES_MB]
            print(f"| {'profile (64 MiB SHM)' if use_profile else 'Fast DDS defaults'} | "
                  f"{'reliable' if reliable else 'best effort'} | "
                  + " | ".join(f"{n}/{args.count}" for n in counts) + " |", flush=True)


if __name__ == "__main__":
    main()
