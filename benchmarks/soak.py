# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""A long run at a camera's rate: are all frames delivered, and do latency and memory stay flat?

The node (``config/stereo_depth.yaml``, StereoBM) gets 640x480 frames at 30 Hz for five
minutes from a publisher process, with ``disparity``, ``depth`` and ``points2`` subscribed
by a subscriber process (the pipeline of ``node_throughput.py``). Every window (10 s by
default) reports the frames delivered, the latency p50 / p99 and the node's RSS; at the end,
the whole run's delivery and how latency and RSS moved from the first window to the last.

With ``--size 1280x720 --params-file fast.yaml`` it checks the fast preset's target (all
three outputs at 30 Hz, 1280x720) the same way.

Targets: at least 99 % of the frames delivered on every output; latency p50 and RSS of
the last window within 20 % of the first's (flat).

Run: ``python benchmarks/soak.py [--minutes 5] [--rate 30] [--window 10]
[--size 640x480] [--params-file stereo_depth.yaml]``
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from node_throughput import PARAMS_FILE, SIZES, Pipeline, make_scene  # noqa: E402

from stereo_depth_node.ros.config_files import config_file  # noqa: E402
from stereo_depth_node.testing.node_process import (  # noqa: E402
    NodeProcess,
    domain_id_argument,
    isolate_ros_environment,
)

OUTPUTS = ("disparity", "depth", "points2")
DELIVERED_TARGET = 0.99
FLAT_TOLERANCE = 0.2  # last window's latency p50 and RSS within 20 % of the first's


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=30.0, help="frames per second")
    parser.add_argument("--window", type=float, default=10.0, help="seconds per report")
    parser.add_argument("--domain-id", type=domain_id_argument, default=80 + os.getpid() % 10)
    parser.add_argument("--size", default="640x480", choices=[f"{w}x{h}" for w, h in SIZES])
    parser.add_argument("--params-file", default=PARAMS_FILE,
                        help="a parameter file in config/ (default: %(default)s)")
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.split("x"))
    scene = make_scene(width, height)
    env = isolate_ros_environment(args.domain_id)
    windows = max(1, round(args.minutes * 60 / args.window))
    frames = round(args.rate * args.window)
    sent = delivered = 0
    rows = []
    with NodeProcess(config_file(args.params_file), env=env) as node:
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
    share = delivered / sent
    print(f"\n{delivered}/{sent} frames delivered ({100 * share:.2f} %) over {args.minutes:g} "
          f"min at {args.rate:g} Hz, {args.size}, {args.params_file}, {', '.join(OUTPUTS)}: "
          f"{'PASS' if share >= DELIVERED_TARGET else 'FAIL'} (target >= "
          f"{100 * DELIVERED_TARGET:g} %)")
    for label, before, after in (("latency p50 (ms)", first[3], last[3]),
                                 ("node RSS (MiB)", first[5], last[5])):
        flat = before is not None and after is not None and \
            abs(after - before) <= FLAT_TOLERANCE * before
        print(f"{label}: first window {_ms(before)}, last {_ms(after)}: "
              f"{'PASS' if flat else 'FAIL'} (flat: within {100 * FLAT_TOLERANCE:g} %)")
    return 0


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    sys.exit(main())
