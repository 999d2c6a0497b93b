# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Write stereo bags from a scene: test data and benchmark input, in either storage format."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from rclpy.serialization import serialize_message

from stereo_depth_node.core.parameters import NodeSettings
from stereo_depth_node.ros.bag_io import BagWriter
from stereo_depth_node.ros.messages import INPUT_TOPICS, type_name
from stereo_depth_node.ros.roles import STEREO_DEPTH
from stereo_depth_node.testing.frames import raw_input_messages, stereo_input_messages
from stereo_depth_node.testing.raw_scenes import RawStereoScene
from stereo_depth_node.testing.scenes import StereoScene

DEFAULT_TOPICS = tuple(f"/{topic}" for topic in INPUT_TOPICS)


def write_stereo_bag(path: str | Path, scene: StereoScene | RawStereoScene,
                     stamps: Iterable[int], storage: str = "mcap",
                     topics: Sequence[str] | None = None, codec: str | None = None) -> int:
    """Record ``scene`` once per stamp (ns) on the four input topics; return the frame count.

    Each message's bag time equals its header stamp. A raw scene is recorded as
    the cameras publish it (``image_raw``, full calibration); with ``codec``
    (``jpeg`` or ``png``) the images are CompressedImages. ``topics`` default to
    the node's names for these (``/left/image_raw/compressed`` ...).
    """
    if topics is None:
        settings = NodeSettings(rectify=isinstance(scene, RawStereoScene),
                                image_transport="compressed" if codec else "raw")
        topics = [f"/{topic}" for topic in STEREO_DEPTH.inputs(settings)[0]]
    frames = 0
    with BagWriter(path, storage) as writer:
        for stamp in stamps:
            messages = raw_input_messages(scene, stamp, codec=codec) \
                if isinstance(scene, RawStereoScene) else \
                stereo_input_messages(scene, stamp, codec=codec)
            for topic, message in zip(topics, messages):
                writer.write(topic, type_name(type(message)), stamp, serialize_message(message))
            frames += 1
    return frames
