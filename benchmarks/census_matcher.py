# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The census matcher's time and memory against OpenCV's StereoSGBM, in the same run.

Matches a 640x480 synthetic pair (and 1280x720) with 64 disparities, both views as the
quality presets need them: StereoSGBM as ``sgbm_quality`` sets it up (block 5, 3-way,
left view and mirrored right view) and the census matcher as ``quality`` does (left and
right views from one cost volume), taking turns in every round so that the machine's
drift cannot skew the ratio. Medians of the rounds. Each matcher's peak memory is the
peak RSS of a fresh process that imports the package, matches once and exits.

Targets at 640x480: census time <= 5 x StereoSGBM's; census peak <= 300 MB.

Run: ``python benchmarks/census_matcher.py [--rounds 20]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from stereo_depth_node.core.matching import DenseMatcher
from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.offline.param_file import load_parameters
from stereo_depth_node.ros.config_files import config_file
from stereo_depth_node.testing.scenes import Layer, layered_scene

SIZES = ((640, 480), (1280, 720))
TIME_TARGET, MEMORY_TARGET_MB = 5.0, 300.0


def matcher(preset: str) -> DenseMatcher:
    """The matcher (with its right view) of a preset in config/."""
    return DenseMatcher(MatcherParams.from_mapping(load_parameters(config_file(f"{preset}.yaml"))))


def scene(width: int, height: int):  # noqa: ANN201 - a StereoScene
    return layered_scene(width, height, 8, (Layer(width // 8, height // 6, width // 2,
                                                  5 * height // 6, 24),
                                            Layer(5 * width // 8, height // 4, 7 * width // 8,
                                                  3 * height // 4, 40)), seed=5)


def peak_megabytes(preset: str, width: int, height: int) -> float:
    """Peak RSS, MB, of a process that makes the preset's matcher and matches once.

    Read from the process's own VmHWM (ru_maxrss would include this process's, which
    a child inherits across fork and exec).
    """
    code = (f"import sys; sys.path.insert(0, {repr(sys.path[0])}); "
            "from census_matcher import matcher, scene; "
            f"s = scene({width}, {height}); "
            f"matcher({preset!r}).match(s.left, s.right, want_right=True); "
            "print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=600)
    return int(result.stdout.split()[-1]) * 1024 / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    matchers = {"StereoSGBM (sgbm_quality)": matcher("sgbm_quality"),
                "census (quality)": matcher("quality")}
    print("| size | matcher | ms, median | × StereoSGBM | peak RSS, MB |")
    print("|---|---|---:|---:|---:|")
    met = True
    for width, height in SIZES:
        pair = scene(width, height)
        times: dict[str, list[float]] = {name: [] for name in matchers}
        for m in matchers.values():  # warm-up: numba loads its compiled kernels
            m.match(pair.left, pair.right, want_right=True)
        for _ in range(args.rounds):
            for name, m in matchers.items():
                start = time.perf_counter()
                m.match(pair.left, pair.right, want_right=True)
                times[name].append(time.perf_counter() - start)
        medians = {name: 1000 * statistics.median(values) for name, values in times.items()}
        sgbm = medians["StereoSGBM (sgbm_quality)"]
        for (name, ms), preset in zip(medians.items(), ("sgbm_quality", "quality")):
            peak = peak_megabytes(preset, width, height)
            ratio = ms / sgbm
            print(f"| {width}x{height} | {name} | {ms:.1f} | {ratio:.2f} | {peak:.0f} |",
                  flush=True)
            if (width, height) == SIZES[0] and preset == "quality":
                met = ratio <= TIME_TARGET and peak <= MEMORY_TARGET_MB
    print(f"targets at 640x480 (census <= {TIME_TARGET:g} x StereoSGBM, <= "
          f"{MEMORY_TARGET_MB:g} MB): {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
