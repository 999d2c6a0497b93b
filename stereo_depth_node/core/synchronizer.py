# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Time synchronization of several message streams, ROS-free.

Two policies with the semantics of ``message_filters`` as ``stereo_image_proc``
uses them:

* :class:`ExactTimeSynchronizer` emits a set when every input has a message
  with the same stamp;
* :class:`ApproximateTimeSynchronizer` emits the set of one message per input
  whose stamps lie closest together, if they span at most a tolerance.

Stamps are integer nanoseconds. Messages are opaque. ``add`` returns the
completed set (a tuple ordered by input index) or ``None``; callers process at
most one set per arrival, which is all that can complete on one arrival.
Both policies count what they discard in :attr:`SyncStats`. A stamp more than a
second behind the last emitted set means time restarted (a bag replayed again,
a looping replay, a simulator reset): the synchronizer then starts afresh
instead of waiting for time to catch up. A stamp more than a second ahead of
every other input's newest is held until another input confirms the jump, and
dropped as a stray when its own input goes on at the old time.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SyncStats:
    """What a synchronizer did with the messages it was given."""

    received: list[int]
    sets: int = 0
    dropped: int = 0  # messages discarded without being part of a set
    duplicates: int = 0  # messages replaced by a later one with the same input and stamp
    time_jumps: int = 0  # restarts after stamps jumped back (a bag replayed again, a sim reset)
    future_stamps: int = 0  # strays dropped: a stamp far ahead of every other input's
    latest_stamps: list[int | None] = field(default_factory=list)

    def why_no_sets(self, input_names: Sequence[str], approximate: bool) -> str:
        """What keeps inputs that do arrive from forming sets, and what to do about it.

        Inputs without a stamp since the start (or since time last jumped back)
        come first; otherwise the input whose newest stamp lags furthest, and by
        how much, with the setting that would pair such stamps.
        """
        since = "since stamps jumped back" if self.time_jumps else "since the start"
        missing = [name for name, stamp in zip(input_names, self.latest_stamps) if stamp is None]
        if missing:
            return (f"nothing arrived on {', '.join(missing)} {since}: "
                    "check the topic names, remappings and that every camera publishes")
        stamps_by_name = {name: stamp for name, stamp in zip(input_names, self.latest_stamps)
                          if stamp is not None}
        newest = max(stamps_by_name.values())
        lag, lagging = max((newest - stamp, name) for name, stamp in stamps_by_name.items())
        stamps = f"newest stamps differ by {lag / 1e6:.1f} ms ({lagging} is the oldest)"
        if lag > TIME_JUMP_NS:
            return f"{stamps}: has {lagging} stopped?"
        return f"{stamps}; " + ("raise approximate_sync_tolerance_seconds or queue_size"
                                if approximate else
                                "exact sync needs identical stamps: set approximate_sync to true")


# A stamp this far behind the last emitted set means time restarted, not a late message.
TIME_JUMP_NS = 1_000_000_000


class _Synchronizer:
    def __init__(self, n_inputs: int, queue_size: int) -> None:
        if n_inputs < 2:
            raise ValueError(f"a synchronizer needs at least 2 inputs, got {n_inputs}")
        if queue_size < 1:
            raise ValueError(f"queue_size = {queue_size} must be at least 1")
        self.n_inputs = n_inputs
        self.queue_size = queue_size
        self.stats = SyncStats(received=[0] * n_inputs, latest_stamps=[None] * n_inputs)
        self._held: dict[int, list[tuple[int, Any]]] = {}  # input -> stamps far ahead, messages

    def add(self, index: int, stamp_ns: int, message: Any) -> tuple[Any, ...] | None:
        """Add one message; return the set it completes, if any."""
        if not 0 <= index < self.n_inputs:
            raise IndexError(f"input index {index} is outside 0..{self.n_inputs - 1}")
        self.stats.received[index] += 1
        completed = None
        admitted = self._admit(index, stamp_ns, message)
        while admitted:
            for entry in admitted:
                completed = self._add(*entry) or completed
            admitted = self._caught_up()
        return completed

    def _add(self, index: int, stamp_ns: int, message: Any) -> tuple[Any, ...] | None:
        raise NotImplementedError

    def _admit(self, index: int, stamp_ns: int, message: Any) -> list[tuple[int, int, Any]]:
        """The messages to add now: held back while their stamps run far ahead of all others.

        A stamp more than a time jump ahead of every other input's newest (a
        clock error, a corrupt header) would stand in for "a newer message has
        arrived" and pull later sets out of step, so it is held, with whatever
        follows it on its input. Another input jumping ahead to near it confirms
        that time moved on: everything held is added, oldest first. A message
        back at the old time on the same input shows the held ones were strays:
        they are dropped.
        """
        held = self._held.get(index, [])
        if held and stamp_ns < held[-1][0] - TIME_JUMP_NS:
            self.stats.future_stamps += len(held)
            self.stats.dropped += len(held)
            del self._held[index]
        newest = self._newest_of_the_others(index)
        if newest is None or stamp_ns - newest <= TIME_JUMP_NS:
            return [(index, stamp_ns, message)]
        confirmed = any(abs(stamp - stamp_ns) <= TIME_JUMP_NS
                        for i, queue in self._held.items() if i != index for stamp, _ in queue)
        if not confirmed:
            queue = self._held.setdefault(index, [])
            queue.append((stamp_ns, message))
            if len(queue) > self.queue_size:
                del queue[0]
                self.stats.dropped += 1
            return []
        admitted = [(i, stamp, held_message) for i, queue in self._held.items()
                    for stamp, held_message in queue] + [(index, stamp_ns, message)]
        self._held.clear()
        return sorted(admitted, key=lambda item: item[1])

    def _newest_of_the_others(self, index: int) -> int | None:
        """The newest stamp admitted on any input but ``index``; None before any."""
        others = [stamp for i, stamp in enumerate(self.stats.latest_stamps)
                  if i != index and stamp is not None]
        return max(others, default=None)

    def _caught_up(self) -> list[tuple[int, int, Any]]:
        """Held messages that the other inputs have caught up with (one input ran ahead)."""
        released = []
        for index, queue in list(self._held.items()):
            newest = self._newest_of_the_others(index)
            while queue and newest is not None and queue[0][0] - newest <= TIME_JUMP_NS:
                stamp, message = queue.pop(0)
                released.append((index, stamp, message))
            if not queue:
                del self._held[index]
        return released

    def _held_count(self) -> int:
        return sum(len(queue) for queue in self._held.values())

    def _note_arrival(self, index: int, stamp_ns: int, last_emitted: int | None) -> bool:
        """Note an admitted message's stamp; return True when it shows that time jumped back."""
        jumped = last_emitted is not None and last_emitted - stamp_ns > TIME_JUMP_NS
        if jumped:
            self.stats.time_jumps += 1
            self.stats.latest_stamps = [None] * self.n_inputs
        latest = self.stats.latest_stamps[index]
        self.stats.latest_stamps[index] = stamp_ns if latest is None else max(latest, stamp_ns)
        return jumped


class ExactTimeSynchronizer(_Synchronizer):
    """Pairs messages whose stamps are equal.

    Keeps at most ``queue_size`` incomplete stamps; older ones are dropped
    first. Once a set is emitted, incomplete sets with older stamps can no
    longer complete in order and are dropped, and late messages at or before
    the emitted stamp are dropped on arrival.
    """

    def __init__(self, n_inputs: int, queue_size: int) -> None:
        super().__init__(n_inputs, queue_size)
        self._pending: dict[int, list[Any]] = {}
        self._last_emitted: int | None = None

    def _add(self, index: int, stamp_ns: int, message: Any) -> tuple[Any, ...] | None:
        if self._note_arrival(index, stamp_ns, self._last_emitted):
            self.stats.dropped += self._pending_count()
            self._pending.clear()
            self._last_emitted = None
        if self._last_emitted is not None and stamp_ns <= self._last_emitted:
            self.stats.dropped += 1
            return None
        slots = self._pending.setdefault(stamp_ns, [None] * self.n_inputs)
        if slots[index] is not None:
            self.stats.duplicates += 1
        slots[index] = message
        if all(slot is not None for slot in slots):
            for stamp in [s for s in self._pending if s <= stamp_ns]:
                if stamp != stamp_ns:
                    self.stats.dropped += sum(m is not None for m in self._pending[stamp])
                del self._pending[stamp]
            self._last_emitted = stamp_ns
            self.stats.sets += 1
            return tuple(slots)
        while len(self._pending) > self.queue_size:
            oldest = min(self._pending)
            self.stats.dropped += sum(m is not None for m in self._pending.pop(oldest))
        return None

    def _pending_count(self) -> int:
        return sum(m is not None for slots in self._pending.values() for m in slots)

    def flush(self) -> tuple[Any, ...] | None:
        """End of input: count every waiting message as dropped (no set can complete now)."""
        self.stats.dropped += self._pending_count() + self._held_count()
        self._held.clear()
        self._pending.clear()
        return None


class ApproximateTimeSynchronizer(_Synchronizer):
    """Pairs messages whose stamps are close.

    Each input keeps up to ``queue_size`` messages sorted by stamp. When every
    input has one, the newest of the queue heads is the pivot; each input
    contributes its message closest to the pivot. The set is emitted when its
    stamps span at most ``max_interval_ns`` (``None``: no limit) and no input
    could still deliver a closer message (an input whose newest message is
    older than the pivot waits for the next one). Otherwise the oldest head is
    dropped and the search repeats.
    """

    def __init__(self, n_inputs: int, queue_size: int,
                 max_interval_ns: int | None = None) -> None:
        super().__init__(n_inputs, queue_size)
        if max_interval_ns is not None and max_interval_ns < 0:
            raise ValueError(f"max_interval_ns = {max_interval_ns} must not be negative")
        self.max_interval_ns = max_interval_ns
        self._stamps: list[list[int]] = [[] for _ in range(n_inputs)]
        self._messages: list[list[Any]] = [[] for _ in range(n_inputs)]
        self._last_emitted: list[int | None] = [None] * n_inputs

    def _add(self, index: int, stamp_ns: int, message: Any) -> tuple[Any, ...] | None:
        emitted = [s for s in self._last_emitted if s is not None]
        if self._note_arrival(index, stamp_ns, max(emitted) if emitted else None):
            self.stats.dropped += sum(len(stamps) for stamps in self._stamps)
            self._stamps = [[] for _ in range(self.n_inputs)]
            self._messages = [[] for _ in range(self.n_inputs)]
            self._last_emitted = [None] * self.n_inputs
        last = self._last_emitted[index]
        if last is not None and stamp_ns <= last:
            self.stats.dropped += 1
            return None
        stamps, messages = self._stamps[index], self._messages[index]
        position = bisect.bisect_left(stamps, stamp_ns)
        if position < len(stamps) and stamps[position] == stamp_ns:
            messages[position] = message
            self.stats.duplicates += 1
        else:
            stamps.insert(position, stamp_ns)
            messages.insert(position, message)
            if len(stamps) > self.queue_size:
                self._pop_head(index)
        return self._match()

    def _pop_head(self, index: int) -> None:
        del self._stamps[index][0]
        del self._messages[index][0]
        self.stats.dropped += 1

    def flush(self) -> tuple[Any, ...] | None:
        """End of input: emit the best remaining set without waiting, drop the rest."""
        result = self._match(final=True)
        self.stats.dropped += sum(len(stamps) for stamps in self._stamps) + self._held_count()
        self._held.clear()
        self._stamps = [[] for _ in range(self.n_inputs)]
        self._messages = [[] for _ in range(self.n_inputs)]
        return result

    def _match(self, final: bool = False) -> tuple[Any, ...] | None:
        while all(self._stamps):
            pivot = max(stamps[0] for stamps in self._stamps)
            picks = self._picks_around(pivot)
            chosen = [stamps[i] for stamps, i in zip(self._stamps, picks)]
            if not final and any(stamps[-1] < max(chosen) for stamps in self._stamps):
                return None  # a closer message may still arrive on that input
            within = self.max_interval_ns is None or \
                max(chosen) - min(chosen) <= self.max_interval_ns
            if within and self._mutually_closest(picks, chosen):
                result = tuple(messages[i] for messages, i in zip(self._messages, picks))
                for index, pick in enumerate(picks):
                    self.stats.dropped += pick  # older messages that no set can use now
                    self._last_emitted[index] = self._stamps[index][pick]
                    del self._stamps[index][: pick + 1]
                    del self._messages[index][: pick + 1]
                self.stats.sets += 1
                return result
            oldest = min(range(self.n_inputs), key=lambda i: self._stamps[i][0])
            self._pop_head(oldest)
        return None


    def _mutually_closest(self, picks: list[int], chosen: list[int]) -> bool:
        """Whether every chosen message is, on its input, the closest to every other chosen one.

        A set that pairs a message with another frame's while its own frame's
        is queued (one message of each frame lost or mis-stamped) fails this.
        """
        return all(_closest(stamps, stamp) == pick
                   for stamps, pick in zip(self._stamps, picks) for stamp in chosen)

    def _picks_around(self, pivot: int) -> list[int]:
        """Index of each input's message for a set around ``pivot``.

        Each input's message closest to the set's newest chosen stamp: a
        message picked because it is nearest the pivot may sit nearer a later
        stamp of another input (its own frame), and must not be paired with
        older messages then. Refined until the newest chosen stamp is stable.
        """
        target = pivot
        while True:
            picks = [_closest(stamps, target) for stamps in self._stamps]
            newest = max(stamps[i] for stamps, i in zip(self._stamps, picks))
            if newest == target:
                return picks
            target = newest


def _closest(stamps: list[int], pivot: int) -> int:
    """Index of the stamp closest to ``pivot``; of two equally close, the newer.

    (Between a message before and one after, the one after may still get
    partners of its own frame; the one before has had its chance.)
    """
    return min(range(len(stamps)), key=lambda i: (abs(stamps[i] - pivot), -i))


def make_synchronizer(n_inputs: int, queue_size: int, approximate: bool,
                      tolerance_seconds: float = 0.0
                      ) -> ExactTimeSynchronizer | ApproximateTimeSynchronizer:
    """The synchronizer ``stereo_image_proc``'s parameters ask for (tolerance 0: no limit)."""
    if not approximate:
        return ExactTimeSynchronizer(n_inputs, queue_size)
    max_interval = int(round(tolerance_seconds * 1e9)) if tolerance_seconds > 0 else None
    return ApproximateTimeSynchronizer(n_inputs, queue_size, max_interval)
