# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The package's three nodes: what each subscribes, publishes, declares and computes.

``stereo_depth_node`` is the whole pipeline in one process. ``disparity_node``
and ``point_cloud_node`` are ``stereo_image_proc``'s two nodes, with its topic
names, parameters and defaults: a launch file switches by package name alone.
All three run the same node code (:mod:`stereo_depth_node.ros.node`) on the
same core.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sensor_msgs.msg import CompressedImage, Image

from stereo_depth_node.core.parameters import (
    MATCHER_PARAMETERS,
    NODE_PARAMETERS,
    PARAMETERS,
    NodeSettings,
    ParameterSpec,
)
from stereo_depth_node.core.processor import (
    CONFIDENCE,
    DEPTH,
    DISPARITY,
    POINTS,
    StereoFrame,
    StereoProcessor,
)
from stereo_depth_node.core.rectification import Rectifier
from stereo_depth_node.ros.messages import (
    CLOUD_INPUT_TOPICS,
    CLOUD_INPUT_TYPES,
    COLOUR_INPUT_TOPIC,
    INPUT_TOPICS,
    INPUT_TYPES,
    RECTIFIED_TOPICS,
    colours_of,
    frame_from_disparity,
    process_inputs,
)

# What computes a frame from one synchronized set: (processor, rectifier (with rectify),
# inputs, wanted outputs, settings, warn) -> frame. ValueError for a set that cannot be
# processed.
FrameSource = Callable[[StereoProcessor, Rectifier | None, Any, list[str], NodeSettings,
                        Callable[[str], None]], StereoFrame]


@dataclass(frozen=True)
class NodeRole:
    """One of the package's nodes.

    The outputs carry the header of the second input (the left camera_info) in
    every role.
    """

    node_name: str
    input_topics: tuple[str, ...]
    input_types: tuple[type, ...]
    outputs: tuple[str, ...]  # names from messages.OUTPUT_TYPES (see outputs_with)
    parameters: Mapping[str, ParameterSpec]
    compute: FrameSource
    cloud_without_depth: bool = False  # a NaN cloud when the calibration gives no depth
    colour_input: bool = False  # may take left/image_rect_color (use_image_rect_color)

    def outputs_with(self, settings: NodeSettings) -> tuple[str, ...]:
        """The output topics with these settings: with ``rectify``, the rectified pair too."""
        if settings.rectify:
            return self.outputs + RECTIFIED_TOPICS
        return self.outputs

    def inputs(self, settings: NodeSettings) -> tuple[tuple[str, ...], tuple[type, ...]]:
        """The input topics and types, in synchronizer order, with these settings.

        ``rectify`` takes each camera's ``image_raw`` instead of ``image_rect``;
        ``image_transport: compressed`` takes every image topic's ``/compressed``
        (``sensor_msgs/CompressedImage``).
        """
        topics, types = self.input_topics, self.input_types
        if self.colour_input and settings.use_image_rect_color:
            topics, types = topics + (COLOUR_INPUT_TOPIC,), types + (Image,)
        if settings.rectify:
            topics = tuple(topic.replace("/image_rect", "/image_raw") if topic in RECTIFIED_TOPICS
                           else topic for topic in topics)
        if settings.image_transport == "compressed":
            topics = tuple(f"{topic}/compressed" if kind is Image else topic
                           for topic, kind in zip(topics, types))
            types = tuple(CompressedImage if kind is Image else kind for kind in types)
        return topics, types


def _match(processor: StereoProcessor, rectifier: Rectifier | None, inputs: Any,
           wanted: list[str], settings: NodeSettings,
           warn: Callable[[str], None]) -> StereoFrame:
    colour_image = inputs[4] if len(inputs) > 4 else None  # left/image_rect_color
    frame = process_inputs(processor, inputs[:4], wanted,
                           settings.use_color and colour_image is None, rectifier,
                           settings.interpolation)
    if colour_image is None or not settings.use_color or POINTS not in wanted \
            or frame.depth is None:
        return frame
    height, width = frame.disparity.shape
    return dataclasses.replace(frame, rgb=colours_of(colour_image, width, height))


def _from_disparity(processor: StereoProcessor, rectifier: Rectifier | None, inputs: Any,
                    wanted: list[str], settings: NodeSettings,
                    warn: Callable[[str], None]) -> StereoFrame:
    return frame_from_disparity(inputs, settings.use_color, warn)


_SYNC_AND_QOS = ("approximate_sync", "approximate_sync_tolerance_seconds", "queue_size",
                 "use_system_default_qos", "no_sync_warning_seconds",
                 "diagnostics_period_seconds", "image_transport")
_RECTIFY = ("rectify", "interpolation")  # raw images: the matching roles only

STEREO_DEPTH = NodeRole("stereo_depth_node", INPUT_TOPICS, INPUT_TYPES,
                        (DISPARITY, DEPTH, POINTS, CONFIDENCE), PARAMETERS, _match,
                        colour_input=True)
DISPARITY_ONLY = NodeRole(
    "disparity_node", INPUT_TOPICS, INPUT_TYPES, (DISPARITY,),
    {spec.name: spec for spec in (*MATCHER_PARAMETERS,
                                  *(s for s in NODE_PARAMETERS
                                    if s.name in _SYNC_AND_QOS + _RECTIFY))},
    _match)
POINT_CLOUD = NodeRole("point_cloud_node", CLOUD_INPUT_TOPICS, CLOUD_INPUT_TYPES,
                       (POINTS, DEPTH), {spec.name: spec for spec in NODE_PARAMETERS
                                         if spec.name not in ("use_image_rect_color",
                                                              *_RECTIFY)},
                       _from_disparity, cloud_without_depth=True)
ROLES = {role.node_name: role for role in (STEREO_DEPTH, DISPARITY_ONLY, POINT_CLOUD)}
