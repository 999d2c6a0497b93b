# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""``stereo-depth replay``: publish a bag's messages with their recorded timing.

Messages are published as recorded (serialized bytes, so header stamps are
untouched) on their own topics or remapped ones, at the bag's pace scaled by
``rate``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rclpy.node import Node
from rclpy.publisher import Publisher
from rclpy.qos import QoSProfile, ReliabilityPolicy

from stereo_depth_node.ros.bag_io import BagError, BagReader, check_topic_name, message_class


@dataclass(frozen=True)
class ReplayOptions:
    """How to replay."""

    rate: float = 1.0
    loop: bool = False
    delay: float = 0.0  # seconds between creating the publishers and the first message
    topics: Sequence[str] | None = None  # None: every topic
    remaps: dict[str, str] | None = None  # recorded topic -> published topic


def parse_remap(text: str) -> tuple[str, str]:
    """``OLD:=NEW`` as a pair; ValueError for anything else."""
    old, separator, new = text.partition(":=")
    if not separator or not old or not new:
        raise ValueError(f"remapping {text!r} is not of the form OLD:=NEW")
    return old, new


def replay_bag(node: Node, path: str | Path, options: ReplayOptions,
               on_message: Callable[[str, int], None] | None = None,
               keep_running: Callable[[], bool] = lambda: True) -> int:
    """Publish the bag on ``node``'s publishers; return the number of messages published.

    Sleeps between messages so that their spacing is the recorded one divided
    by ``options.rate``; with ``loop`` starts over until ``keep_running()`` is
    false, one recorded message spacing (the median; 1 s for a bag of one
    stamp) after the end of the previous pass.

    Raises
    ------
    BagError
        An unreadable bag, a requested topic it lacks, an invalid rate, delay
        or remapping, or ``loop`` on a bag with nothing to replay.
    """
    if not options.rate > 0:
        raise BagError(f"--rate {options.rate} must be positive")
    if not options.delay >= 0:
        raise BagError(f"--delay {options.delay} must be zero or more seconds")
    with BagReader(path) as reader:
        topics = list(reader.topics) if options.topics is None else list(options.topics)
        reader.require_topics(topics)
        names = _published_names(topics, options.remaps or {})
        if options.loop and sum(reader.counts.get(t, 0) for t in topics) == 0:
            raise BagError(f"--loop: {reader.path} has no message on the replayed topics")
        qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        publishers: dict[str, Publisher] = {
            t: node.create_publisher(message_class(reader.topics[t]), names[t], qos)
            for t in topics}
        time.sleep(options.delay)  # lets subscribers discover the new publishers
        published = 0
        start_wall = time.monotonic()
        while True:
            count, gap = _replay_pass(reader, publishers, start_wall, options.rate, on_message,
                                      keep_running)
            published += count
            if not options.loop or not keep_running():
                return published
            start_wall = time.monotonic() + gap / 1e9 / options.rate


def _replay_pass(reader: BagReader, publishers: dict[str, Publisher], start_wall: float,
                 rate: float, on_message: Callable[[str, int], None] | None,
                 keep_running: Callable[[], bool]) -> tuple[int, int]:
    """Publish the bag once from ``start_wall`` (``time.monotonic``) on.

    Returns the number of messages published and the median spacing of the
    recorded stamps, ns (1 s for a bag of one stamp): the gap before a next pass.
    """
    start_bag = previous = None
    spacings = []
    published = 0
    for topic, timestamp, data in reader.messages(list(publishers)):
        start_bag = timestamp if start_bag is None else start_bag
        if previous is not None and timestamp > previous:
            spacings.append(timestamp - previous)
        previous = timestamp
        due = start_wall + (timestamp - start_bag) / 1e9 / rate
        time.sleep(max(0.0, due - time.monotonic()))
        if not keep_running():
            break
        publishers[topic].publish(data)
        published += 1
        if on_message is not None:
            on_message(topic, timestamp)
    return published, int(statistics.median(spacings)) if spacings else 1_000_000_000


def _published_names(topics: Sequence[str], remaps: dict[str, str]) -> dict[str, str]:
    """Recorded topic -> the name it is published on; BagError for a bad remapping."""
    unknown = set(remaps) - set(topics)
    if unknown:
        raise BagError(f"remapped topic(s) {', '.join(sorted(unknown))} are not replayed")
    names = {t: remaps.get(t, t) for t in topics}
    for name in set(remaps.values()):
        check_topic_name(name, "--remap target")
    targets = list(names.values())
    shared = sorted({n for n in targets if targets.count(n) > 1})
    if shared:
        raise BagError(f"two replayed topics would be published on {', '.join(shared)}")
    return names
