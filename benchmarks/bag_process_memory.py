# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Peak memory of ``stereo-depth process`` against bag length: it must stay flat.

Writes synthetic 640x480 stereo bags of increasing length, runs
``stereo-depth process`` on each as its own process, and reports the
process's peak RSS (from the kernel's rusage) and the time per frame.

Usage: python benchmarks/bag_process_memory.py [--frames 30 100 300] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stereo_depth_node.testing.sample_bag import write_stereo_bag
from stereo_depth_node.testing.scenes import Layer, layered_scene

SECOND = 1_000_000_000


def run_process(bag: Path, out: Path) -> tuple[float, float]:
    """Run ``stereo-depth process``; return (peak RSS MiB, seconds)."""
    start = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", "stereo_depth_node.cli", "process", str(bag),
                              "--out", str(out)], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"stereo-depth process failed on {bag}")
    return usage.ru_maxrss / 1024, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, nargs="+", default=[30, 100, 300])
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    scene = layered_scene(640, 480, 8, (Layer(200, 120, 440, 360, 30),))
    workdir = Path(tempfile.mkdtemp(dir=args.workdir))
    print("| frames | input bag MB | output bag MB | peak RSS MiB | ms per frame |")
    print("|---:|---:|---:|---:|---:|")
    try:
        for frames in args.frames:
            bag, out = workdir / f"in_{frames}", workdir / f"out_{frames}"
            write_stereo_bag(bag, scene, [(i + 1) * SECOND // 10 for i in range(frames)])
            peak, seconds = run_process(bag, out)
            size_in, size_out = (sum(f.stat().st_size for f in p.rglob("*")) / 1e6
                                 for p in (bag, out))
            print(f"| {frames} | {size_in:.0f} | {size_out:.0f} | {peak:.0f} | "
                  f"{1000 * seconds / frames:.1f} |", flush=True)
            shutil.rmtree(bag)
            shutil.rmtree(out)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
