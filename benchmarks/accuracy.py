# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Accuracy and time of raw OpenCV and of every preset, on real and synthetic scenes.

One run, the same frames for every method:

* raw OpenCV StereoBM at stereo_image_proc's defaults;
* raw OpenCV StereoSGBM at OpenCV's sample settings (blockSize 3, P1 8*3*9, P2 32*3*9,
  disp12MaxDiff 1, uniquenessRatio 10, speckle 100/32, 64 disparities);
* the presets in config/ through the core (StereoProcessor).

Scenes: the Middlebury 2014 Motorcycle pair (scikit-image), the same pair with the right
camera's exposure changed (gamma 0.7, gain 1.15: a lighting change between the views), and
synthetic scenes with exact ground truth (fronto-parallel planes, a slanted plane,
occluding boxes, a textureless wall, thin bars). Reports bad-0.5/1/2/4 (holes counted as
bad), bad-2 over kept pixels, density, mean absolute error and runtime (median of repeats),
a summary of every preset (bad-2 on the real pairs, density and bad-2 of kept pixels, time
per frame at 640x480 and 1280x720 in the core), writes a Markdown table and a picture of
the hard pairs.

Usage: python benchmarks/accuracy.py [--out benchmarks/results] [--repeats 10]
"""

from __future__ import annotations

import argparse
import dataclasses
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
from stereo_depth_node.testing.metrics import Accuracy, evaluate
from stereo_depth_node.testing.scenes import (
    Layer,
    StereoScene,
    layered_scene,
    motorcycle,
    slanted_scene,
)

PRESETS = ("stereo_depth", "fast", "sgbm_quality", "quality", "nav_safe")
REAL = ("Motorcycle (Middlebury)", "Motorcycle, exposure changed")
HARD = ("Motorcycle, exposure changed", "textureless wall")  # the picture's rows
PICTURED = ("raw SGBM (OpenCV sample)", "preset sgbm_quality", "preset quality",
            "preset nav_safe")
THRESHOLDS = (0.5, 1.0, 2.0, 4.0)

Method = Callable[[StereoScene], np.ndarray]  # scene -> matcher disparity, NaN = none


def exposure_changed(scene: StereoScene, gamma: float = 0.7, gain: float = 1.15) -> StereoScene:
    """The scene with the right camera's exposure changed: ``255 (I / 255)^gamma gain``."""
    right = np.clip(255 * (scene.right / 255.0) ** gamma * gain, 0, 255).astype(np.uint8)
    return dataclasses.replace(scene, right=right)


def scenes() -> dict[str, StereoScene]:
    pair = motorcycle()
    bars = tuple(Layer(100 + 60 * i, 40, 100 + 60 * i + 2 + i % 3, 440, 30) for i in range(8))
    return {
        REAL[0]: pair,
        REAL[1]: exposure_changed(pair),
        "planes": layered_scene(640, 480, 8, (Layer(160, 120, 480, 360, 24),), seed=1),
        "slanted plane": slanted_scene(640, 480, 6.0, 40.0, seed=2),
        "occluding boxes": layered_scene(640, 480, 6, (Layer(80, 80, 260, 300, 20),
                                                       Layer(300, 150, 560, 420, 36)), seed=3),
        "textureless wall": layered_scene(640, 480, 8, (Layer(200, 100, 460, 380, 20,
                                                              textureless=True),), seed=4),
        "thin bars": layered_scene(640, 480, 8, bars, seed=7),
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


def summary(results: dict[tuple[str, str], tuple[Accuracy, float]],
            repeats: int) -> list[str]:
    """Every preset: bad-2 on the real pairs, density and kept bad-2, time at two sizes."""
    sizes = ((640, 480), (1280, 720))
    frames = {size: layered_scene(size[0], size[1], 8, (Layer(160, 120, 520, 400, 24),),
                                  seed=5) for size in sizes}
    lines = ["| preset | bad-2 % (holes bad), " + ", ".join(REAL) + " | density % | bad-2 % of "
             "kept pixels | ms at 640×480 | ms at 1280×720 |", "|---|---|---:|---:|---:|---:|"]
    for name in PRESETS:
        real = [results[(scene, f"preset {name}")][0] for scene in REAL]
        times = [timed(preset(name), frames[size], repeats)[1] for size in sizes]
        lines.append(f"| {name} | {' / '.join(f'{a.bad:.1f}' for a in real)} | "
                     f"{' / '.join(f'{a.density:.1f}' for a in real)} | "
                     f"{' / '.join(f'{a.bad_kept:.1f}' for a in real)} | "
                     f"{times[0]:.0f} | {times[1]:.0f} |")
    return lines


def picture(all_scenes: dict[str, StereoScene],
            disparities: dict[tuple[str, str], np.ndarray]) -> np.ndarray:
    """Rows of the hard pairs: left image, ground truth and the pictured methods' results."""
    rows = []
    for scene_name in HARD:
        scene = all_scenes[scene_name]
        known = scene.ground_truth[np.isfinite(scene.ground_truth)]
        low, high = float(known.min()), float(known.max())
        tiles = [(cv2.cvtColor(to_mono8(scene.right, scene.encoding), cv2.COLOR_GRAY2BGR),
                  f"{scene_name}: right image"),
                 (colorize(scene.ground_truth, low, high), "ground truth")]
        tiles += [(colorize(disparities[(scene_name, method)], low, high),
                   method.removeprefix("preset ")) for method in PICTURED]
        height = 240
        row = []
        for tile, label in tiles:
            tile = cv2.resize(tile, (round(tile.shape[1] * height / tile.shape[0]), height),
                              interpolation=cv2.INTER_AREA)
            cv2.putText(tile, label, (6, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 2)
            row.append(tile)
        rows.append(np.hstack(row))
    width = max(row.shape[1] for row in rows)
    return np.vstack([cv2.copyMakeBorder(row, 0, 0, 0, width - row.shape[1],
                                         cv2.BORDER_CONSTANT) for row in rows])


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
    results: dict[tuple[str, str], tuple[Accuracy, float]] = {}
    disparities: dict[tuple[str, str], np.ndarray] = {}
    for scene_name, scene in all_scenes.items():
        for method_name, method in all_methods.items():
            disparity, ms = timed(method, scene, args.repeats)
            accuracies = [evaluate(disparity, scene.ground_truth, t) for t in THRESHOLDS]
            two = accuracies[2]
            results[(scene_name, method_name)] = (two, ms)
            disparities[(scene_name, method_name)] = disparity
            lines.append(f"| {scene_name} | {method_name} | "
                         + " | ".join(f"{a.bad:.1f}" for a in accuracies)
                         + f" | {two.bad_kept:.1f} | {two.density:.1f} | "
                         f"{two.mean_abs_error:.2f} | {ms:.1f} |")
        print(f"{scene_name}: done", flush=True)
    table = "\n".join(summary(results, args.repeats) + [""] + lines)
    print(table)
    (args.out / "accuracy.md").write_text(table + "\n")
    cv2.imwrite(str(args.out / "hard_pairs.png"), picture(all_scenes, disparities))
    print(f"wrote {args.out / 'accuracy.md'} and {args.out / 'hard_pairs.png'}")


if __name__ == "__main__":
    main()
