# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""``stereo-depth process``: run the node's pipeline over a bag and write a new bag.

The same synchronizer, core and message conversions as the node, fed from a
bag instead of subscriptions. Processing is streamed: one synchronizer queue
of messages is held at a time, so memory stays flat however long the bag is.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from rclpy.serialization import deserialize_message, serialize_message
from sensor_msgs.msg import CompressedImage, Image

from stereo_depth_node.core.parameters import MatcherParams, NodeSettings
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.core.rectification import Rectifier
from stereo_depth_node.core.synchronizer import make_synchronizer
from stereo_depth_node.ros.bag_io import (
    BagError,
    BagReader,
    BagWriter,
    check_apart,
    check_topic_name,
    message_class,
)
from stereo_depth_node.ros.messages import (
    INPUT_TYPE_NAMES,
    OUTPUT_TYPES,
    InputSet,
    output_messages,
    stamp_ns,
    type_name,
)

# What an image input topic may hold: raw images, or image_transport's compressed ones.
IMAGE_TYPE_NAMES = (type_name(Image), type_name(CompressedImage))


@dataclass(frozen=True)
class ProcessOptions:
    """What to read, how to pair it, and what to write."""

    # left image, left info, right image, right info; an image topic the bag lacks is read
    # from its /compressed when the bag has that (see resolve_input_topics)
    input_topics: tuple[str, str, str, str]
    params: MatcherParams = field(default_factory=MatcherParams)
    settings: NodeSettings = field(default_factory=NodeSettings)
    output_prefix: str = ""
    include_inputs: bool = False
    storage: str = "mcap"
    outputs: tuple[str, ...] = ("disparity", "depth", "points2")  # of OUTPUT_TYPES


@dataclass(frozen=True)
class TimeRange:
    """Times (ns) from ``start`` (included) to ``stop`` (excluded); None leaves a side open."""

    start: int | None = None
    stop: int | None = None

    def __contains__(self, time: int) -> bool:
        return ((self.start is None or time >= self.start)
                and (self.stop is None or time < self.stop))

    def widened(self, margin: int) -> TimeRange:
        """The range with ``margin`` ns more on each closed side."""
        return TimeRange(None if self.start is None else self.start - margin,
                          None if self.stop is None else self.stop + margin)


ALL_TIME = TimeRange()


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
        output path or one inside the input bag, a failure to write, or no
        frame written at all (every frame dropped, no message decodable, no
        pair: the message gives the counts and reasons). The output is then not created. A single
        message that cannot be decoded is skipped and counted in the summary.
    """
    _check_topics(options)
    check_apart(Path(in_path), Path(out_path))
    summary = ProcessSummary()
    with BagReader(in_path) as reader:
        inputs = resolve_input_topics(reader, options.input_topics)  # before the output is made
        with BagWriter(out_path, options.storage) as writer:
            write_frames(reader, writer, options, summary, inputs, progress=progress)
            if summary.frames_written == 0:  # raised inside: the writer leaves no bag
                raise BagError(f"no frame of {in_path} could be processed, so {out_path} was "
                               f"not written: {summary.reasons()}")
    return summary


def write_frames(reader: BagReader, writer: BagWriter, options: ProcessOptions,
                 summary: ProcessSummary, inputs: tuple[tuple[str, ...], tuple[str, ...]],
                 progress: Callable[[int], None] | None = None, owned: TimeRange = ALL_TIME,
                 halo: int = 0) -> None:
    """Pair, match and write the stereo sets of ``reader`` whose left image was recorded ``owned``.

    ``owned`` is a range of bag time (ns). Messages are read from ``owned``
    widened by ``halo`` ns, so that the sets at its edges find their partners
    (recorded up to ``halo`` before or after their left image); a set whose left
    image's bag time lies outside ``owned`` is neither written nor counted, and
    input messages (copied with ``include_inputs``, counted as left images or
    undecodable) count where their bag time lies in ``owned``. Writing every range
    of a partition of time therefore writes every set once, whatever the header
    stamps say. Counts go to ``summary``.

    ``inputs`` are the input topics and their types, as :func:`resolve_input_topics`
    gives them for ``reader``.

    Raises
    ------
    BagError
        The bag's data is damaged, or the output cannot be written.
    """
    topics, types = inputs
    processor = StereoProcessor(options.params)
    rectifier = Rectifier() if options.settings.rectify else None

    def on_input(topic: str, index: int, timestamp: int, data: bytes) -> None:
        if progress is not None:
            progress(1)
        if timestamp not in owned:
            return
        if index == 0:
            summary.frames_in += 1
        if options.include_inputs:
            writer.write(topic, types[index], timestamp, data)

    for frame, timestamp, left_time in _synchronized_frames(
            reader, topics, types, options, summary, on_input, owned.widened(halo), owned):
        if left_time not in owned:
            continue
        summary.frames_paired += 1
        try:
            messages = output_messages(processor, *frame, options.outputs, options.settings,
                                       refused=summary.count_without_depth,
                                       rectifier=rectifier)
        except ValueError as error:
            summary.dropped[str(error)] += 1
            continue
        for output, message in messages.items():
            writer.write(f"{options.output_prefix}/{output}", type_name(OUTPUT_TYPES[output]),
                         timestamp, serialize_message(message))
        summary.frames_written += 1


def _synchronized_frames(reader: BagReader, topics: tuple[str, ...], types: tuple[str, ...],
                         options: ProcessOptions, summary: ProcessSummary,
                         on_input: Callable[[str, int, int, bytes], None],
                         read: TimeRange, owned: TimeRange,
                         ) -> Iterator[tuple[InputSet, int, int]]:
    """Synchronized input sets, each with two bag times: its completing message's, its left's.

    Reads the messages whose bag time is in ``read``; counts the undecodable ones
    whose bag time is ``owned``, and the synchronizer's drops, in ``summary``; calls
    ``on_input(topic, index, bag_time, data)`` for every message read.
    """
    settings = options.settings
    synchronizer = make_synchronizer(len(topics), settings.queue_size,
                                     settings.approximate_sync,
                                     settings.approximate_sync_tolerance_seconds)
    index_of = {topic: i for i, topic in enumerate(topics)}
    # left image stamp -> its bag time, for the sets the synchronizer can still complete
    left_times: OrderedDict[int, int] = OrderedDict()
    kept = 4 * settings.queue_size + 16
    classes = [message_class(name) for name in types]
    bag_time = 0
    for topic, bag_time, data in reader.messages(topics, read.start, read.stop):
        index = index_of[topic]
        on_input(topic, index, bag_time, data)
        try:
            message: Any = deserialize_message(data, classes[index])
        except RuntimeError:  # rclpy's RMWError: truncated or corrupt CDR data
            if bag_time in owned:
                summary.dropped[_undecodable(topic)] += 1
                summary.undecodable[topic] += 1
            continue
        stamp = stamp_ns(message.header)
        if index == 0:
            left_times[stamp] = bag_time
            if len(left_times) > kept:
                left_times.popitem(last=False)
        matched = synchronizer.add(index, stamp, message)
        if matched is not None:
            yield (cast(InputSet, matched), bag_time,
                   left_times.pop(stamp_ns(matched[0].header), bag_time))
    last = synchronizer.flush()  # the bag ended: nothing closer can come
    if last is not None:
        yield cast(InputSet, last), bag_time, left_times.pop(stamp_ns(last[0].header), bag_time)
    summary.dropped_unpaired = synchronizer.stats.dropped


def resolve_input_topics(reader: BagReader, topics: tuple[str, str, str, str]
                         ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The input topics to read, and their types, from the bag's topic types.

    An image topic the bag lacks is read from its ``/compressed`` (image_transport's
    name) when the bag has that. Images may be ``sensor_msgs/Image`` or
    ``sensor_msgs/CompressedImage``.

    Raises
    ------
    BagError
        A topic the bag lacks (the message lists those it has), or one that holds
        another type.
    """
    resolved = tuple(image_topic(topic, reader.topics) if expected in IMAGE_TYPE_NAMES else topic
                     for topic, expected in zip(topics, INPUT_TYPE_NAMES))
    reader.require_topics(resolved)
    for topic, expected in zip(resolved, INPUT_TYPE_NAMES):
        allowed = IMAGE_TYPE_NAMES if expected in IMAGE_TYPE_NAMES else (expected,)
        if reader.topics[topic] not in allowed:
            raise BagError(f"topic {topic} in {reader.path} holds {reader.topics[topic]}, "
                           f"expected {' or '.join(allowed)}")
    return resolved, tuple(reader.topics[topic] for topic in resolved)


def image_topic(topic: str, available: Container[str]) -> str:
    """The topic a bag holds an image input under, of the topics ``available``.

    ``topic`` itself, or image_transport's ``topic/compressed`` when only that is there.
    """
    compressed = f"{topic}/compressed"
    return compressed if topic not in available and compressed in available else topic


def _check_topics(options: ProcessOptions) -> None:
    """BagError for one topic given for two inputs or an output prefix that is no topic name."""
    repeated = sorted({t for t in options.input_topics if options.input_topics.count(t) > 1})
    if repeated:
        raise BagError(f"{', '.join(repeated)} is given for more than one input; the four inputs "
                       "(left image, left info, right image, right info) need four topics")
    check_topic_name(f"{options.output_prefix}/disparity", "with --output-prefix, output topic")
