# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""stereo-depth batch: scaling with local workers, cost per set against process, worker memory.

In one run, on bags of 640 x 480 mono8 fleet recordings (stereo_depth_node.testing.
fleet_bags, default parameters, disparity, depth and points2 written), each cost also as
a multiple of the bare matcher's (StereoBM with the default parameters, in-process, on
one of those frames):

- ``batch --workers 1`` and ``batch --workers 2`` on ``--bags`` bags of
  ``--frames`` sets: the speed-up (target on 2 cores: >= 1.7x);
- ``process`` and ``batch --workers 1`` on one bag ``--long`` times as long: the
  cost per set of each, start-up included (target: batch within 10 % of process);
- the largest peak resident memory of a worker of ``batch --workers 2`` (each
  worker's own VmHWM, from summary.json) on bags of ``--peak-mb`` megabytes: it
  must not grow with the bag. Each of these bags and its output (about 12 times
  its size: disparity, depth and points2) is removed before the next is written.

Run: ``python benchmarks/batch_scaling.py [--bags 20] [--frames 30] [--long 16]
[--peak-mb 100,1000]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stereo_depth_node.core.matching import compute_disparity, create_matcher
from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.testing.fleet_bags import write_fleet_bag
from stereo_depth_node.testing.node_process import domain_id_argument, ros_environment
from stereo_depth_node.testing.scenes import Layer, layered_scene

WIDTH, HEIGHT = 640, 480


def bare_matcher_seconds(repeats: int = 30) -> float:
    """Median time of the bare matcher (the default parameters) on a fleet frame."""
    scene = layered_scene(WIDTH, HEIGHT, 6, (Layer(200, 100, 400, 300, disparity=14),))
    matcher = create_matcher(MatcherParams())
    compute_disparity(matcher, scene.left, scene.right)  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        compute_disparity(matcher, scene.left, scene.right)
        times.append(time.perf_counter() - started)
    return float(statistics.median(times))


def stereo_depth(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "stereo_depth_node.cli", *arguments]


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def worker_peak(folder: Path, megabytes: int, env: dict[str, str]) -> tuple[int, int, int]:
    """Sets, bag bytes and a worker's peak resident memory (bytes) for a bag of ``megabytes``."""
    bag, out = folder / f"bag{megabytes}", folder / f"out{megabytes}"
    set_bytes = 2 * WIDTH * HEIGHT + 2000  # two mono8 images and their camera_infos
    write_fleet_bag(bag, max(2, megabytes * 10**6 // set_bytes), width=WIDTH, height=HEIGHT)
    size = sum(path.stat().st_size for path in bag.rglob("*.mcap"))
    subprocess.run(stereo_depth("batch", str(bag), "--out", str(out), "--workers", "2",
                                "--window-sets", "200", "--progress", "none"),
                   env=env, check=True, capture_output=True)
    result = json.loads((out / "summary.json").read_text())["bags"][0]
    shutil.rmtree(bag)
    shutil.rmtree(out)
    return result["sets"], size, int(result["worker_peak_bytes"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bags", type=int, default=20)
    parser.add_argument("--frames", type=int, default=30, help="sets per bag")
    parser.add_argument("--long", type=int, default=16, help="the long bag, in bags")
    parser.add_argument("--peak-mb", default="100,1000",
                        help="sizes of the bags a worker's memory is measured on, MB")
    parser.add_argument("--domain-id", type=domain_id_argument, default=80 + os.getpid() % 10)
    args = parser.parse_args()
    env = ros_environment(args.domain_id)
    bare = bare_matcher_seconds()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "fleet").mkdir()
        for number in range(args.bags):
            write_fleet_bag(root / "fleet" / f"bag{number:03d}", args.frames, width=WIDTH,
                            height=HEIGHT, seed=number)
        size = sum(path.stat().st_size for path in (root / "fleet").rglob("*.mcap"))
        window = str(args.frames // 2)
        batch_s = {workers: timed(stereo_depth(
            "batch", str(root / "fleet"), "--out", str(root / f"batch{workers}"), "--workers",
            str(workers), "--window-sets", window, "--progress", "none"), env)
            for workers in (1, 2)}
        sets = json.loads((root / "batch1" / "summary.json").read_text())["sets"]
        long_bag = root / "long"
        write_fleet_bag(long_bag, args.long * args.frames, width=WIDTH, height=HEIGHT)
        long_size = sum(path.stat().st_size for path in long_bag.rglob("*.mcap"))
        process_s = timed(stereo_depth("process", str(long_bag), "--out",
                                       str(root / "process_long")), env)
        long_batch_s = timed(stereo_depth("batch", str(long_bag), "--out",
                                          str(root / "batch_long"), "--workers", "1",
                                          "--window-sets", window, "--progress", "none"), env)
        long_sets = json.loads((root / "batch_long" / "summary.json").read_text())["sets"]
        peaks = [worker_peak(root, int(size), env) for size in args.peak_mb.split(",")]
    print(f"{args.bags} bags of {args.frames} sets at {WIDTH}x{HEIGHT} ({size / 1e6:.0f} MB), "
          f"{sets} sets written, {os.cpu_count()} cores; bare StereoBM {1000 * bare:.1f} ms")
    for workers, seconds in batch_s.items():
        print(f"batch --workers {workers}: {seconds:.1f} s, {1000 * seconds / sets:.1f} ms a set "
              f"({seconds / sets / bare:.1f}x bare), {batch_s[1] / seconds:.2f}x one worker's "
              "speed")
    print(f"one bag of {long_sets} sets ({long_size / 1e6:.0f} MB): process {process_s:.1f} s "
          f"({process_s / long_sets / bare:.1f}x bare a set), batch --workers 1 "
          f"{long_batch_s:.1f} s ({long_batch_s / long_sets / bare:.1f}x bare a set): "
          f"{long_batch_s / process_s:.2f}x")
    print("a worker's peak resident memory (batch --workers 2): " + ", ".join(
        f"{peak / 2**20:.0f} MiB on {size / 1e6:.0f} MB ({sets} sets)"
        for sets, size, peak in peaks))


if __name__ == "__main__":
    main()
