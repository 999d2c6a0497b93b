# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Which input streams lose messages that their partners receive, ROS-free.

A stereo camera sends the messages of a set together: both images and both
camera_infos carry the same stamp. When one input receives far fewer messages
than the busiest one over the same time, the messages are lost on the way
(typically large best-effort images over a middleware transport that cannot hold
them), and the sets they belong to never form. :func:`lagging_inputs` finds
such inputs from message counts; :class:`ArrivalWindow` keeps the counts of the
last few reporting periods, so that one period's jitter is not taken for loss.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# An input is lagging when it receives less than this share of the busiest input's messages
# (a reliable stream's repairs arrive late and in bursts, so a window's shares wander a little).
LAGGING_SHARE = 0.8
# ... and the busiest has received at least this many in the window (a stream, not a few).
MIN_MESSAGES = 10


@dataclass(frozen=True)
class LaggingInput:
    """An input that received fewer messages than the busiest input in the same time.

    Attributes
    ----------
    topic : str
        The lagging input.
    received : int
        Its messages in the window.
    partner : str
        The busiest input.
    partner_received : int
        The busiest input's messages in the window.
    seconds : float
        The window's length, seconds.
    """

    topic: str
    received: int
    partner: str
    partner_received: int
    seconds: float

    @property
    def share(self) -> float:
        """``received / partner_received``, 0..1."""
        return self.received / self.partner_received

    def describe(self) -> str:
        """``left/image_raw arrives at 3.0 Hz, right/image_raw at 30.0 Hz (10 %)``."""
        return (f"{self.topic} arrives at {self.received / self.seconds:.1f} Hz, "
                f"{self.partner} at {self.partner_received / self.seconds:.1f} Hz "
                f"({100 * self.share:.0f} %)")


def lagging_inputs(counts: Mapping[str, int], seconds: float,
                   share: float = LAGGING_SHARE,
                   min_messages: int = MIN_MESSAGES) -> list[LaggingInput]:
    """The inputs that received less than ``share`` of the busiest input's messages.

    Parameters
    ----------
    counts : mapping of str to int
        Messages received per input topic over the same ``seconds``; every input
        of the node, those that received nothing included.
    seconds : float
        The length of the window the counts cover, seconds (> 0).
    share : float
        0..1; an input below this fraction of the busiest one lags.
    min_messages : int
        Nothing lags while the busiest input has received fewer messages than this.

    Returns
    -------
    list of LaggingInput
        Most lagging first; empty when every input keeps up. An input that received
        nothing is not among them: its messages are not lost on the way, they are not
        sent to it (a wrong topic name, a camera that does not publish).
    """
    if not counts or seconds <= 0:
        return []
    partner, most = max(counts.items(), key=lambda item: item[1])
    if most < min_messages:
        return []
    lagging = [LaggingInput(topic, received, partner, most, seconds)
               for topic, received in counts.items() if 0 < received < share * most]
    return sorted(lagging, key=lambda item: item.received)


class ArrivalWindow:
    """Messages per input over the last ``periods`` reporting periods.

    Parameters
    ----------
    topics : sequence of str
        Every input topic (an input with no message counts as 0).
    periods : int
        How many periods the window spans.
    """

    def __init__(self, topics: Sequence[str], periods: int = 3) -> None:
        self.topics = tuple(topics)
        self._periods: deque[tuple[Counter[str], float]] = deque(maxlen=periods)

    def add(self, counts: Mapping[str, int], seconds: float) -> None:
        """One period's messages per topic, ``seconds`` long."""
        self._periods.append((Counter(counts), seconds))

    def clear(self) -> None:
        """Forget every period (the inputs were unsubscribed)."""
        self._periods.clear()

    def lagging(self) -> list[LaggingInput]:
        """:func:`lagging_inputs` over the window; none until it spans all its periods.

        (The first periods after subscribing hold messages still being repaired.)
        """
        if len(self._periods) < (self._periods.maxlen or 0):
            return []
        total: Counter[str] = Counter()
        for counts, _ in self._periods:
            total.update(counts)
        seconds = sum(seconds for _, seconds in self._periods)
        return lagging_inputs({topic: total[topic] for topic in self.topics}, seconds)
