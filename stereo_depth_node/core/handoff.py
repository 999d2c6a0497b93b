# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Frames from one thread to the next, a few at a time: the stages of a frame pipeline.

ROS-free. A :class:`Handoff` holds at most ``capacity`` items, oldest first.
The producer either displaces the oldest waiting items when full
(:meth:`Handoff.put`: a camera stream that outruns the matcher keeps its newest
frames, and each displaced one is counted) or waits for room
(:meth:`Handoff.put_when_free`: work already done is not thrown away). So a
pipeline of stages joined by handoffs keeps its frames in order, absorbs a
short burst, and never builds a backlog longer than the capacities.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Handoff(Generic[T]):
    """A bounded first-in first-out slot between a producer thread and a consumer thread."""

    def __init__(self, capacity: int = 1) -> None:
        if capacity < 1:
            raise ValueError(f"capacity {capacity} must be at least 1")
        self._changed = threading.Condition()
        self._items: deque[T] = deque()
        self._capacity = capacity
        self._closed = False

    @property
    def capacity(self) -> int:
        """How many items may wait; lowering it leaves items already waiting in place."""
        return self._capacity

    @capacity.setter
    def capacity(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"capacity {capacity} must be at least 1")
        with self._changed:
            self._capacity = capacity
            self._changed.notify_all()

    def put(self, item: T) -> list[T]:
        """Leave ``item`` for the consumer; return the oldest waiting ones removed to make room.

        Empty while there is room; one item when full; more after the capacity was lowered.
        """
        with self._changed:
            displaced = []
            while len(self._items) >= self._capacity:
                displaced.append(self._items.popleft())
            self._items.append(item)
            self._changed.notify_all()
            return displaced

    def put_when_free(self, item: T) -> bool:
        """Wait for room, then leave ``item``; False if the handoff was closed meanwhile."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._items) < self._capacity or self._closed)
            if self._closed:
                return False
            self._items.append(item)
            self._changed.notify_all()
            return True

    def take(self) -> T | None:
        """Wait for an item and take the oldest; None once the handoff is closed."""
        with self._changed:
            self._changed.wait_for(lambda: bool(self._items) or self._closed)
            if self._closed:
                return None
            item = self._items.popleft()
            self._changed.notify_all()
            return item

    def close(self) -> None:
        """Wake every waiting thread: :meth:`take` returns None from now on."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()
