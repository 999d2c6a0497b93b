# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""How many of a stock camera driver's sets the node turns into disparities, by input QoS.

A camera process publishes raw stereo sets as drivers do (stereo_depth_node.testing.
driver_camera: both images then both camera_infos, back to back, 30 Hz, ROS 2's default
reliable QoS, no Fast DDS profile) to the node (``rectify``), which answers each set with
a disparity to the camera's process. Each size and encoding runs with:

- ``sensor data``: the inputs as stereo_image_proc subscribes them (best effort, depth 5)
  with its queue_size 5, set through the QoS override parameters;
- ``node defaults``: this package's defaults (BEST_AVAILABLE reliability, depth 10,
  queue_size 10);
- ``profile in the camera``: the defaults, with the package's Fast DDS profile in the
  camera's process too.

The node's own process has no Fast DDS variable set in any row (it then gives its
participant the package's profile itself). Target: node defaults >= 99 % of sets.

Run: ``python benchmarks/driver_delivery.py [--sets 300] [--runs 1]``
"""

from __future__ import annotations

import argparse
import os

from stereo_depth_node.testing.driver_camera import RAW_TOPICS, run_driver_camera
from stereo_depth_node.testing.node_process import (
    NodeProcess,
    domain_id_argument,
    ros_environment,
)

CASES = (("640x480", "mono8"), ("752x480", "mono8"), ("640x480", "rgb8"), ("752x480", "rgb8"))
NAMESPACE = "/bench"
SENSOR_DATA = {"queue_size": 5, **{
    f"qos_overrides.{NAMESPACE}/{topic}.subscription.{policy}": value
    for topic in RAW_TOPICS for policy, value in (("reliability", "best_effort"),
                                                  ("depth", 5))}}
VARIANTS = (("sensor data", SENSOR_DATA, False), ("node defaults", {}, False),
            ("profile in the camera", {}, True))


def run(size: str, encoding: str, parameters: dict[str, object], camera_profile: bool,
        domain_id: int, sets: int) -> tuple[int, int, float]:
    """Answered and sent sets, and messages reported lost in transport, for one run."""
    stock = ros_environment(domain_id, profile=None)
    camera_env = ros_environment(domain_id) if camera_profile else stock
    with NodeProcess(parameters={"rectify": True, **parameters}, env=stock,
                     ros_args=["-r", f"__ns:={NAMESPACE}"]):
        count = run_driver_camera(size, encoding, camera_env, NAMESPACE, count=sets)
    lost = sum(count.total(f"messages lost in transport {topic}") for topic in RAW_TOPICS)
    return count.answered, count.sent, lost


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", type=int, default=300)
    parser.add_argument("--runs", type=int, default=1, help="runs of each row")
    parser.add_argument("--domain-id", type=domain_id_argument, default=60 + os.getpid() % 10)
    args = parser.parse_args(argv)
    print("| camera | node inputs | " + " | ".join(f"{s} {e}" for s, e in CASES) + " |")
    print("|---|---|" + "---|" * len(CASES))
    for name, parameters, camera_profile in VARIANTS:
        cells = []
        for size, encoding in CASES:
            results = [run(size, encoding, parameters, camera_profile, args.domain_id,
                           args.sets) for _ in range(args.runs)]
            cells.append(", ".join(f"{answered}/{sent}" + (f" ({lost:.0f} lost)" if lost else "")
                                   for answered, sent, lost in results))
        camera = "reliable, profile" if camera_profile else "reliable, no profile"
        print(f"| {camera} | {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
