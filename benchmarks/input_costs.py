# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""What taking images straight from the cameras costs a frame: rectifying, demosaicing, decoding.

For 640x480 and 1280x720 versions of the Motorcycle pair, made raw with
``stereo_depth_node.testing.raw_scenes.distorted`` (a plumb_bob lens, tilted cameras), each
stage is timed as ``process_inputs`` runs it for one frame (both cameras), with the
package's default parameters: matching alone (the reference), the frame from rectified
``Image`` messages (disparity alone, and with depth and the coloured cloud), and the same
frames by each way in: ``rectify`` (disparity alone, and with depth and the cloud's
colours rectified too), a calibration that needs no rectifying, Bayer images, JPEG (quality 95) and
PNG ``CompressedImage``s. Building the maps (once per calibration) is timed apart. The
stages take turns in every round; medians of ``--repeats`` rounds, in ms, and each over
matching alone, all in this one run.

Run: ``python benchmarks/input_costs.py [--repeats 30]``
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Callable

import cv2

from stereo_depth_node.core.camera_model import CameraModel
from stereo_depth_node.core.matching import DenseMatcher
from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.core.rectification import Rectifier, rectification_maps
from stereo_depth_node.ros.messages import process_inputs
from stereo_depth_node.testing.frames import raw_input_messages, stereo_input_messages
from stereo_depth_node.testing.raw_scenes import distorted
from stereo_depth_node.testing.scenes import StereoScene, motorcycle

SIZES = ((640, 480), (1280, 720))
DISPARITY = ("disparity",)
CLOUD = ("disparity", "depth", "points2")


def interleaved_medians(actions: dict[str, Callable[[], object]], repeats: int
                        ) -> dict[str, float]:
    """Median wall time of each action in ms, the actions taking turns in every round.

    Taking turns spreads the machine's drift over a minute (other load, clock changes)
    across all of them alike, so their ratios hold. One warm-up round first.
    """
    times: dict[str, list[float]] = {name: [] for name in actions}
    for round_ in range(repeats + 1):
        for name, action in actions.items():
            start = time.perf_counter()
            action()
            if round_:
                times[name].append(1000 * (time.perf_counter() - start))
    return {name: statistics.median(values) for name, values in times.items()}


def scaled_motorcycle(width: int, height: int) -> StereoScene:
    """The Motorcycle pair resized to ``width`` x ``height``, its calibration scaled alike."""
    scene = motorcycle()
    sx, sy = width / scene.left.shape[1], height / scene.left.shape[0]

    def scaled(calibration):
        projection = calibration.P.copy()
        projection[0] *= sx
        projection[1] *= sy
        return dataclasses.replace(calibration, width=width, height=height, P=projection)

    def resized(image):
        return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)

    return StereoScene(resized(scene.left), resized(scene.right), scene.encoding,
                       resized(scene.ground_truth), scaled(scene.left_calibration),
                       scaled(scene.right_calibration))


def measure(width: int, height: int, repeats: int) -> dict[str, float]:
    """Median ms of each way in for one frame of this size."""
    scene = scaled_motorcycle(width, height)
    raw = distorted(scene)
    processor = StereoProcessor(MatcherParams())
    grey = [cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) for image in (scene.left, scene.right)]
    matcher = DenseMatcher(MatcherParams())
    identity = dataclasses.replace(  # cameras that need no rectifying
        raw, left_camera=CameraModel.of_rectified_images(scene.left_calibration),
        right_camera=CameraModel.of_rectified_images(scene.right_calibration))

    def frame(inputs, outputs=DISPARITY, rectifier=None, color=False):
        return lambda: process_inputs(processor, tuple(inputs), outputs, color, rectifier)

    rectified = stereo_input_messages(scene, 1)
    rectifier = Rectifier()
    return interleaved_medians({
        "matching alone (grey pair)": lambda: matcher.match(*grey),
        "frame from rectified rgb8 Images": frame(rectified),
        "frame from rectified rgb8 Images, depth, colours": frame(rectified, CLOUD, color=True),
        "rectify, rgb8 image_raw": frame(raw_input_messages(raw, 1), rectifier=rectifier),
        "rectify, rgb8 image_raw, depth, colours": frame(raw_input_messages(raw, 1), CLOUD,
                                                         rectifier, True),
        "rectify, calibration needing none": frame(raw_input_messages(identity, 1),
                                                   rectifier=rectifier),
        "rectify, bayer_rggb8 image_raw": frame(raw_input_messages(raw, 1, "bayer_rggb8"),
                                                rectifier=rectifier),
        "rectified, JPEG q95 CompressedImages": frame(stereo_input_messages(scene, 1,
                                                                            codec="jpeg")),
        "rectified, PNG CompressedImages": frame(stereo_input_messages(scene, 1, codec="png")),
        "building one camera's maps": lambda: rectification_maps(raw.left_camera),
    }, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    results = {size: measure(*size, args.repeats) for size in SIZES}
    names = list(results[SIZES[0]])
    print(f"{'per frame, both cameras':48s}" +
          "".join(f"{f'{w}x{h} ms':>13s}{'/ match':>9s}" for w, h in SIZES))
    for name in names:
        row = f"{name:48s}"
        for size in SIZES:
            value = results[size][name]
            row += f"{value:13.2f}{value / results[size][names[0]]:9.2f}"
        print(row)


if __name__ == "__main__":
    main()
