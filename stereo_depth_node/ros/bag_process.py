"""``stereo-depth process``: run the node's pipeline over a bag and write a new bag.

The same synchronizer, core and message conversions as the node, fed from a
bag instead of subscriptions. Processing is streamed: one synchronizer queue
of messages is held at a time, so memory stays flat however long the bag is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rclpy.serialization import deserialize_message, serialize_message

from stereo_depth_node.core.parameters import MatcherParams, NodeSettings
from stereo_depth_node.core.point_cloud import cloud_layout
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.core.synchronizer import make_synchronizer
from stereo_depth_node.ros.bag_io import BagError, BagReader, BagWriter, check_topic_name
from stereo_depth_node.ros.messages import (
    INPUT_TYPES,
    OUTPUT_TYPES,
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


@dataclass
class ProcessSummary:
    """Counts of what happened to the frames."""

    frames_in: int = 0  # left images read
    frames_paired: int = 0
    frames_written: int = 0
    dropped_unpaired: int = 0  # input messages the synchronizer discarded
    dropped: Counter = field(default_factory=Counter)  # reason -> frames

    def lines(self) -> list[str]:
        """Human-readable summary."""
        lines = [f"frames in: {self.frames_in}, paired: {self.frames_paired}, "
                 f"written: {self.frames_written}",
                 f"input messages without a partner (dropped by the synchronizer): "
                 f"{self.dropped_unpaired}"]
        lines += [f"dropped {n} frame(s): {reason}" for reason, n in self.dropped.items()]
        return lines


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
        output path. The output is then not created. A single
        message that cannot be decoded is skipped and counted in the summary.
    """
    _check_topics(options)
    summary = ProcessSummary()
    processor = StereoProcessor(options.params)
    settings = options.settings
    layout = cloud_layout(settings.use_color, settings.avoid_point_cloud_padding)
    index_of = {topic: i for i, topic in enumerate(options.input_topics)}
    synchronizer = make_synchronizer(len(INPUT_TYPES), settings.queue_size,
                                     settings.approximate_sync,
                                     settings.approximate_sync_tolerance_seconds)
    topic = {name: f"{options.output_prefix}/{name}" for name in options.outputs}

    with BagReader(in_path) as reader:
        reader.require_topics(options.input_topics)
        input_names = [type_name(t) for t in INPUT_TYPES]
        for name, expected in zip(options.input_topics, input_names):
            if reader.topics[name] != expected:
                raise BagError(f"topic {name} in {reader.path} holds {reader.topics[name]}, "
                               f"expected {expected}")
        with BagWriter(out_path, options.storage) as writer:

            def write_frame(matched: tuple, timestamp: int) -> None:
                summary.frames_paired += 1
                try:
                    messages = output_messages(processor, *matched, options.outputs, layout)
                except ValueError as error:
                    summary.dropped[str(error)] += 1
                    return
                for output, message_out in messages.items():
                    writer.write(topic[output], type_name(OUTPUT_TYPES[output]), timestamp,
                                 serialize_message(message_out))
                summary.frames_written += 1

            timestamp = 0
            for name, timestamp, data in reader.messages(options.input_topics):
                index = index_of[name]
                if progress is not None:
                    progress(1)
                if options.include_inputs:
                    writer.write(name, input_names[index], timestamp, data)
                summary.frames_in += index == 0
                try:
                    message = deserialize_message(data, INPUT_TYPES[index])
                except RuntimeError:  # rclpy's RMWError: truncated or corrupt CDR data
                    summary.dropped[f"{name}: a message could not be decoded (damaged data)"] += 1
                    continue
                matched = synchronizer.add(index, stamp_ns(message.header), message)
                if matched is not None:
                    write_frame(matched, timestamp)
            last = synchronizer.flush()  # the bag ended: nothing closer can come
            if last is not None:
                write_frame(last, timestamp)
    summary.dropped_unpaired = synchronizer.stats.dropped
    return summary


def _check_topics(options: ProcessOptions) -> None:
    """BagError for one topic given for two inputs or an output prefix that is no topic name."""
    repeated = sorted({t for t in options.input_topics if options.input_topics.count(t) > 1})
    if repeated:
        raise BagError(f"{', '.join(repeated)} is given for more than one input; the four inputs "
                       "(left image, left info, right image, right info) need four topics")
    check_topic_name(f"{options.output_prefix}/disparity", "with --output-prefix, output topic")
