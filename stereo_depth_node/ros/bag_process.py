# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""``stereo-depth process``: run the node's pipeline over a bag and write a new bag.

The same synchronizer, core and message conversions as the node, fed from a
bag instead of subscriptions. Processing is streamed: one synchronizer queue
of messages is held at a time, so memory stays flat however long the bag is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from rclpy.serialization import deserialize_message, serialize_message

from stereo_depth_node.core.parameters import MatcherParams, NodeSettings
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.core.synchronizer import make_synchronizer
from stereo_depth_node.ros.bag_io import BagError, BagReader, BagWriter, check_topic_name
from stereo_depth_node.ros.messages import (
    INPUT_TYPE_NAMES,
    INPUT_TYPES,
    OUTPUT_TYPES,
    InputSet,
    output_messages,
    stamp_ns,
    type_name,
)


@dataclass(frozen=True)
class ProcessOptions:
    """What to read, how to pair it, and what to write."""

    input_topics: tuple[str, str, str, str]  # left image, left info, right image, right info
    params: MatcherParams = field(default_factory=MatcherParams)
    settings: NodeSettings = field(default_factory=NodeSettings)
    output_prefix: str = ""
    include_inputs: bool = False
    storage: str = "mcap"
    outputs: tuple[str, ...] = ("disparity", "depth", "points2")  # of OUTPUT_TYPES


def _undecodable(topic: str) -> str:
    """The ``dropped`` reason for a message on ``topic`` that could not be decoded."""
    return f"{topic}: a message could not be decoded (damaged data)"


@dataclass
class ProcessSummary:
    """Counts of what happened to the frames."""

    frames_in: int = 0  # left images read
    frames_paired: int = 0
    frames_written: int = 0
    dropped_unpaired: int = 0  # input messages the synchronizer discarded
    dropped: Counter[str] = field(default_factory=Counter)  # reason -> frames (or messages)
    without_depth: Counter[str] = field(default_factory=Counter)  # reason -> frames
    undecodable: Counter[str] = field(default_factory=Counter)  # topic -> messages

    def count_without_depth(self, reason: str) -> None:
        """A frame whose calibration gave no depth: only its disparity is written."""
        self.without_depth[reason] += 1

    def lines(self) -> list[str]:
        """Human-readable summary."""
        decode_failures = {_undecodable(topic) for topic in self.undecodable}
        lines = [f"frames in: {self.frames_in}, paired: {self.frames_paired}, "
                 f"written: {self.frames_written}",
                 f"input messages without a partner (dropped by the synchronizer): "
                 f"{self.dropped_unpaired}"]
        lines += [f"dropped {n} frame(s): {reason}" for reason, n in self.dropped.items()
                  if reason not in decode_failures]
        lines += [f"{n} frame(s) without depth and points2: {reason}"
                  for reason, n in self.without_depth.items()]
        lines += [f"{topic}: {n} message(s) could not be decoded (damaged data)"
                  for topic, n in self.undecodable.items()]
        return lines

    def reasons(self) -> str:
        """Why frames were not written, on one line."""
        parts = [f"{self.frames_in} left images read, {self.frames_paired} paired, "
                 f"{self.frames_written} written"]
        if self.dropped_unpaired:
            parts.append(f"{self.dropped_unpaired} input messages without a partner "
                         "(dropped by the synchronizer)")
        parts += self.lines()[2:]
        return "; ".join(parts)


def process_bag(in_path: str | Path, out_path: str | Path, options: ProcessOptions,
                progress: Callable[[int], None] | None = None) -> ProcessSummary:
    """Pair, match and write every stereo frame of a bag.

    Output messages keep their input frame's header (stamp and left frame id)
    and are written at the bag time of the message that completed the frame.

    Raises
    ------
    BagError
        Unreadable input, missing topics (the message lists those the bag has),
        one topic given for two inputs, an invalid output prefix, an existing
        output path, a failure to write, or no frame written at all (every
        frame dropped, no message decodable, no pair: the message gives the
        counts and reasons). The output is then not created. A single
        message that cannot be decoded is skipped and counted in the summary.
    """
    _check_topics(options)
    summary = ProcessSummary()
    processor = StereoProcessor(options.params)
    with BagReader(in_path) as reader:
        _check_input_types(reader, options.input_topics)
        with BagWriter(out_path, options.storage) as writer:
            def on_input(topic: str, index: int, timestamp: int, data: bytes) -> None:
                if progress is not None:
                    progress(1)
                if options.include_inputs:
                    writer.write(topic, INPUT_TYPE_NAMES[index], timestamp, data)

            for frame, timestamp in _synchronized_frames(reader, options, summary, on_input):
                summary.frames_paired += 1
                try:
                    messages = output_messages(processor, *frame, options.outputs,
                                               options.settings,
                                               refused=summary.count_without_depth)
                except ValueError as error:
                    summary.dropped[str(error)] += 1
                    continue
                for output, message in messages.items():
                    writer.write(f"{options.output_prefix}/{output}",
                                 type_name(OUTPUT_TYPES[output]), timestamp,
                                 serialize_message(message))
                summary.frames_written += 1
            if summary.frames_written == 0:  # raised inside: the writer leaves no bag
                raise BagError(f"no frame of {in_path} could be processed, so {out_path} was "
                               f"not written: {summary.reasons()}")
    return summary


def _synchronized_frames(reader: BagReader, options: ProcessOptions, summary: ProcessSummary,
                         on_input: Callable[[str, int, int, bytes], None],
                         ) -> Iterator[tuple[InputSet, int]]:
    """Synchronized input sets, each with the bag time of the message that completed it.

    Counts left images, undecodable messages and the synchronizer's drops in
    ``summary``; calls ``on_input(topic, index, bag_time, data)`` for every message read.
    """
    settings = options.settings
    synchronizer = make_synchronizer(len(INPUT_TYPES), settings.queue_size,
                                     settings.approximate_sync,
                                     settings.approximate_sync_tolerance_seconds)
    index_of = {topic: i for i, topic in enumerate(options.input_topics)}
    bag_time = 0
    for topic, bag_time, data in reader.messages(options.input_topics):
        index = index_of[topic]
        on_input(topic, index, bag_time, data)
        if index == 0:
            summary.frames_in += 1
        try:
            message = deserialize_message(data, INPUT_TYPES[index])
        except RuntimeError:  # rclpy's RMWError: truncated or corrupt CDR data
            summary.dropped[_undecodable(topic)] += 1
            summary.undecodable[topic] += 1
            continue
        matched = synchronizer.add(index, stamp_ns(message.header), message)
        if matched is not None:
            yield cast(InputSet, matched), bag_time
    last = synchronizer.flush()  # the bag ended: nothing closer can come
    if last is not None:
        yield cast(InputSet, last), bag_time
    summary.dropped_unpaired = synchronizer.stats.dropped


def _check_input_types(reader: BagReader, topics: tuple[str, str, str, str]) -> None:
    """BagError naming the topic unless each input topic holds its message type."""
    reader.require_topics(topics)
    for topic, expected in zip(topics, INPUT_TYPE_NAMES):
        if reader.topics[topic] != expected:
            raise BagError(f"topic {topic} in {reader.path} holds {reader.topics[topic]}, "
                           f"expected {expected}")


def _check_topics(options: ProcessOptions) -> None:
    """BagError for one topic given for two inputs or an output prefix that is no topic name."""
    repeated = sorted({t for t in options.input_topics if options.input_topics.count(t) > 1})
    if repeated:
        raise BagError(f"{', '.join(repeated)} is given for more than one input; the four inputs "
                       "(left image, left info, right image, right info) need four topics")
    check_topic_name(f"{options.output_prefix}/disparity", "with --output-prefix, output topic")
