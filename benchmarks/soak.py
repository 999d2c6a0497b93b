# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""A long run at a camera's rate: are all frames delivered, and do latency and memory stay flat?

The node (``config/stereo_depth.yaml``, StereoBM) gets 640x480 frames at 30 Hz for five
minutes from a publisher process, with ``disparity``, ``depth`` and ``points2`` subscribed
by a subscriber process (the pipeline of ``node_throughput.py``). Every window (10 s by
default) reports the frames delivered, the latency p50 / p99 and the node's RSS; at the end,
the whole run's delivery and how latency and RSS moved from the first window to the last.

Run: ``python benchmarks/soak.py [--minutes 5] [--rate 30] [--window 10]``
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from node_throughput import PARAMS_FILE, Pipeline, make_scene  # noqa: E402

from stereo_depth_node.ros.config_files import config_file  # noqa: E402
from stereo_depth_node.testing.node_process import (  # noqa: E402
    NodeProcess,
    domain_id_argument,
    isolate_ros_environment,
)

OUTPUTS = ("disparity", "depth", "points2")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=30.0, help="frames per second")
    parser.add_argument("--window", type=float, default=10.0, help="seconds per report")
    parser.add_argument("--domain-id", type=domain_id_argument, default=80 + os.getpid() % 10)
    args = parser.parse_args(argv)
    scene = make_scene(640, 480)
    env = isolate_ros_environment(args.domain_id)
    windows = max(1, round(args.minutes * 60 / args.window))
    frames = round(args.rate * args.window)
    sent = delivered = 0
    rows = []
    with NodeProcess(config_file(PARAMS_FILE), env=env) as node:
        pipeline = Pipeline(args.domain_id, scene, node, OUTPUTS)
        try:
            error = pipeline.wait_ready()
            if error is not None:
                print(error)
                return 1
            rss = psutil.Process(node.process.pid)
            for index in range(windows):
                step = pipeline.run_step(1.0, args.rate, frames)
                sent, delivered = sent + step.frames, delivered + step.delivered
                row = (index, step.delivered, step.frames, step.latency_percentile(50),
                       step.latency_percentile(99), rss.memory_info().rss / 2**20)
                rows.append(row)
                print(f"window {index:3d}: {row[1]}/{row[2]} frames at {step.achieved_rate:.1f} "
                      f"Hz, latency p50 {_ms(row[3])} / p99 {_ms(row[4])} ms, node RSS "
                      f"{row[5]:.0f} MiB", flush=True)
        finally:
            pipeline.close()
    first, last = rows[0], rows[-1]
    print(f"\n{delivered}/{sent} frames delivered ({100 * delivered / sent:.2f} %) over "
          f"{args.minutes:g} min at {args.rate:g} Hz, 640x480, {', '.join(OUTPUTS)}")
    print(f"latency p50: first window {_ms(first[3])} ms, last {_ms(last[3])} ms; node RSS: "
          f"first {first[5]:.0f} MiB, last {last[5]:.0f} MiB")
    return 0


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    sys.exit(main())
