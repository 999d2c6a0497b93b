# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Write stereo bags from a scene: test data and benchmark input, in either storage format."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from rclpy.serialization import serialize_message

from stereo_depth_node.ros.bag_io import BagWriter
from stereo_depth_node.ros.messages import INPUT_TOPICS, type_name
from stereo_depth_node.testing.frames import stereo_input_messages
from stereo_depth_node.testing.scenes import StereoScene

DEFAULT_TOPICS = tuple(f"/{topic}" for topic in INPUT_TOPICS)


def write_stereo_bag(path: str | Path, scene: StereoScene, stamps: Iterable[int],
                     storage: str = "mcap", topics: Sequence[str] = DEFAULT_TOPICS,
                     ) -> int:
    """Record ``scene`` once per stamp (ns) on the four input topics; return the frame count.

    Each message's bag time equals its header stamp.
    """
    frames = 0
    with BagWriter(path, storage) as writer:
        for stamp in stamps:
            for topic, message in zip(topics, stereo_input_messages(scene, stamp)):
                writer.write(topic, type_name(type(message)), stamp, serialize_message(message))
            frames += 1
    return frames
