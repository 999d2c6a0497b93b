# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Accuracy of raw OpenCV and of every preset on real and synthetic scenes with ground truth.

One run, the same frames for every method:

* raw OpenCV StereoBM at stereo_image_proc's defaults;
* raw OpenCV StereoSGBM at OpenCV's sample settings (blockSize 3, P1 8*3*9, P2 32*3*9,
  disp12MaxDiff 1, uniquenessRatio 10, speckle 100/32, 64 disparities);
* the presets in config/ through the core (StereoProcessor).

Scenes: the Middlebury 2014 Motorcycle pair (scikit-image) and synthetic scenes with exact
ground truth (fronto-parallel planes, a slanted plane, occluding boxes, a textureless wall).
Reports bad-0.5/1/2/4 (holes counted as bad), bad-2 over kept pixels, density, mean absolute
error and runtime (median of repeats), writes a Markdown table and a picture. Last, the core's
frame rate for every preset at 1280x720 (synthetic boxes), for the fast preset's target.

Usage: python benchmarks/accuracy.py [--out benchmarks/results] [--repeats 10]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from stereo_depth_node.core.image_encoding import to_mono8
from stereo_depth_node.core.matching import compute_disparity
from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.offline.param_file import load_parameters
from stereo_depth_node.offline.visualize import colorize
from stereo_depth_node.ros.config_files import config_file
from stereo_depth_node.testing.metrics import evaluate
from stereo_depth_node.testing.scenes import (
    Layer,
    StereoScene,
    layered_scene,
    motorcycle,
    slanted_scene,
)

PRESETS = ("stereo_depth", "sgbm_quality", "nav_safe", "fast")
THRESHOLDS = (0.5, 1.0, 2.0, 4.0)

Method = Callable[[StereoScene], np.ndarray]  # scene -> matcher disparity, NaN = none


def scenes() -> dict[str, StereoScene]:
    return {
        "Motorcycle (Middlebury)": motorcycle(),
        "planes": layered_scene(640, 480, 8, (Layer(160, 120, 480, 360, 24),), seed=1),
        "slanted plane": slanted_scene(640, 480, 6.0, 40.0, seed=2),
        "occluding boxes": layered_scene(640, 480, 6, (Layer(80, 80, 260, 300, 20),
                                                       Layer(300, 150, 560, 420, 36)), seed=3),
        "textureless wall": layered_scene(640, 480, 8, (Layer(200, 100, 460, 380, 20,
                                                              textureless=True),), seed=4),
    }


def raw_opencv(matcher: cv2.StereoMatcher) -> Method:
    def run(scene: StereoScene) -> np.ndarray:
        left, right = (to_mono8(image, scene.encoding) for image in (scene.left, scene.right))
        return compute_disparity(matcher, left, right)
    return run


def preset(name: str) -> Method:
    processor = StereoProcessor(MatcherParams.from_mapping(
        load_parameters(config_file(f"{name}.yaml"))))

    def run(scene: StereoScene) -> np.ndarray:
        frame = processor.process(scene.left, scene.encoding, scene.right, scene.encoding,
                                  scene.geometry)
        return frame.matcher_disparity()
    return run


def methods() -> dict[str, Method]:
    bm = cv2.StereoBM.create(64, 15)
    bm.setPreFilterCap(31)
    bm.setTextureThreshold(10)
    bm.setUniquenessRatio(15)
    bm.setSpeckleWindowSize(100)
    bm.setSpeckleRange(4)
    sgbm = cv2.StereoSGBM.create(minDisparity=0, numDisparities=64, blockSize=3,
                                 P1=8 * 3 * 9, P2=32 * 3 * 9, disp12MaxDiff=1,
                                 uniquenessRatio=10, speckleWindowSize=100, speckleRange=32)
    return {"raw BM (stereo_image_proc defaults)": raw_opencv(bm),
            "raw SGBM (OpenCV sample)": raw_opencv(sgbm),
            **{f"preset {name}": preset(name) for name in PRESETS}}


def rates_at_720p(repeats: int) -> list[str]:
    """Frames per second of every preset in the core on a 1280x720 synthetic scene."""
    scene = layered_scene(1280, 720, 8, (Layer(160, 160, 520, 600, 24),
                                         Layer(700, 120, 1100, 560, 40)), seed=5)
    lines = ["| preset | core rate at 1280×720, Hz |", "|---|---|"]
    for name in PRESETS:
        _, ms = timed(preset(name), scene, repeats)
        lines.append(f"| {name} | {1000 / ms:.0f} |")
    return lines


def timed(method: Method, scene: StereoScene, repeats: int) -> tuple[np.ndarray, float]:
    result = method(scene)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = method(scene)
        times.append(time.perf_counter() - start)
    return result, 1000 * statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    all_scenes, all_methods = scenes(), methods()
    header = ("| scene | method | bad-0.5 % | bad-1 % | bad-2 % | bad-4 % | bad-2 kept % "
              "| density % | mean err px | ms |")
    lines = [header, "|" + "---|" * 10]
    pictures = []
    for scene_name, scene in all_scenes.items():
        row_pictures = [cv2.cvtColor(to_mono8(scene.left, scene.encoding), cv2.COLOR_GRAY2BGR)]
        known = scene.ground_truth[np.isfinite(scene.ground_truth)]
        low, high = float(known.min()), float(known.max())
        row_pictures.append(colorize(scene.ground_truth, low, high))
        for method_name, method in all_methods.items():
            disparity, ms = timed(method, scene, args.repeats)
            results = [evaluate(disparity, scene.ground_truth, t) for t in THRESHOLDS]
            two = results[2]
            lines.append(f"| {scene_name} | {method_name} | "
                         + " | ".join(f"{r.bad:.1f}" for r in results)
                         + f" | {two.bad_kept:.1f} | {two.density:.1f} | "
                         f"{two.mean_abs_error:.2f} | {ms:.1f} |")
            row_pictures.append(colorize(disparity, low, high))
        if scene_name.startswith("Motorcycle"):
            pictures = row_pictures
        print(f"{scene_name}: done", flush=True)
    table = "\n".join(lines + [""] + rates_at_720p(args.repeats))
    print(table)
    (args.out / "accuracy.md").write_text(table + "\n")
    labels = ["left image", "ground truth", *all_methods]
    labelled = []
    for picture, label in zip(pictures, labels):
        picture = picture.copy()
        cv2.putText(picture, label, (8, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
        labelled.append(picture)
    grid = np.vstack([np.hstack(labelled[i:i + 4]) for i in range(0, len(labelled), 4)])
    small = cv2.resize(grid, (grid.shape[1] // 2, grid.shape[0] // 2),
                       interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(args.out / "accuracy_motorcycle.png"), small)
    print(f"wrote {args.out / 'accuracy.md'} and {args.out / 'accuracy_motorcycle.png'}")


if __name__ == "__main__":
    main()
