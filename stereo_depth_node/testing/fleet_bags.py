# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Bags as a fleet records them: a calibration change, dropped and late messages.

Test data for ``stereo-depth batch``: what a window cut can get wrong (a set
whose messages straddle a cut, a calibration that changes between windows, a
set that never completes) happens in every bag written here.
"""

from __future__ import annotations

from pathlib import Path

from rclpy.serialization import serialize_message

from stereo_depth_node.ros.bag_io import BagWriter
from stereo_depth_node.ros.messages import type_name
from stereo_depth_node.testing.frames import stereo_input_messages
from stereo_depth_node.testing.sample_bag import DEFAULT_TOPICS
from stereo_depth_node.testing.scenes import Layer, layered_scene

START_NS = 1_700_000_000_000_000_000
PERIOD_NS = 100_000_000  # 10 Hz
LATE_NS = 60_000_000  # how late a late camera_info is recorded (before the next set)
DROP_EVERY = 7  # every 7th set loses its right image
LATE_EVERY = 5  # every 5th set's left camera_info is recorded late


def fleet_stamps(frames: int) -> list[int]:
    """The left image stamps (ns) of a fleet bag of ``frames`` sets."""
    return [START_NS + k * PERIOD_NS for k in range(frames)]


def write_fleet_bag(path: str | Path, frames: int, storage: str = "mcap",
                    codec: str | None = None, width: int = 160, height: int = 96,
                    seed: int = 0) -> None:
    """Record ``frames`` stereo sets of a layered scene at 10 Hz.

    The calibration changes half-way (the second half's baseline is 0.15 m
    instead of 0.1 m, its disparities as large), every :data:`DROP_EVERY`-th set
    has no right image, and every :data:`LATE_EVERY`-th set's left camera_info is
    recorded :data:`LATE_NS` after its stamp. Images are raw mono8, or
    CompressedImages with ``codec`` (``png``: lossless, so outputs are exact).
    """
    layers = (Layer(20, 10, 40, 30, disparity=14),)
    scenes = [layered_scene(width, height, 6, layers, baseline_m=baseline, seed=seed)
              for baseline in (0.1, 0.15)]
    topics = [f"{topic}/compressed" if codec and "image" in topic else topic
              for topic in DEFAULT_TOPICS]
    recorded = []
    for k, stamp in enumerate(fleet_stamps(frames)):
        messages = stereo_input_messages(scenes[2 * k >= frames], stamp, codec=codec)
        for index, (topic, message) in enumerate(zip(topics, messages)):
            if index == 2 and k % DROP_EVERY == DROP_EVERY - 1:
                continue
            late = LATE_NS if index == 1 and k % LATE_EVERY == LATE_EVERY - 1 else 0
            recorded.append((stamp + late, index, topic, message))
    with BagWriter(path, storage) as writer:
        for bag_time, _, topic, message in sorted(recorded, key=lambda m: (m[0], m[1])):
            writer.write(topic, type_name(type(message)), bag_time, serialize_message(message))
