# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The bounded handoff between the node's processing threads."""

import threading

import pytest

from stereo_depth_node.core.handoff import Handoff


def test_items_come_out_in_order_and_the_oldest_is_displaced_when_full():
    handoff = Handoff(capacity=2)
    assert handoff.put(1) == [] and handoff.put(2) == []
    assert handoff.put(3) == [1]  # full: the oldest waiting item makes room
    assert handoff.put(4) == [2]
    assert [handoff.take(), handoff.take()] == [3, 4]


def test_a_lowered_capacity_displaces_down_to_it_at_the_next_put():
    handoff = Handoff(capacity=4)
    for item in range(4):
        handoff.put(item)
    handoff.capacity = 2
    assert handoff.capacity == 2
    assert handoff.put(4) == [0, 1, 2]  # down to one waiting, then the new one
    assert [handoff.take(), handoff.take()] == [3, 4]
    handoff.capacity = 3  # raised: room for three again
    assert [handoff.put(item) for item in (5, 6, 7)] == [[], [], []]
    with pytest.raises(ValueError, match="capacity 0 must be at least 1"):
        handoff.capacity = 0


def test_put_when_free_waits_for_the_consumer():
    handoff = Handoff()
    handoff.put("first")
    placed = threading.Event()
    producer = threading.Thread(target=lambda: placed.set() if handoff.put_when_free("second")
                                else None)
    producer.start()
    assert not placed.wait(0.2)  # the slot is taken: the producer waits, nothing is lost
    assert handoff.take() == "first"
    assert placed.wait(5.0)
    assert handoff.take() == "second"
    producer.join()


def test_close_wakes_waiting_threads():
    handoff = Handoff()
    results = []
    consumer = threading.Thread(target=lambda: results.append(handoff.take()))
    consumer.start()
    handoff.close()
    consumer.join(5.0)
    assert results == [None] and not consumer.is_alive()
    assert handoff.put_when_free("late") is False
    with pytest.raises(ValueError, match="capacity 0 must be at least 1"):
        Handoff(capacity=0)
