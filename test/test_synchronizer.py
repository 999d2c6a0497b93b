# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
import pytest

from stereo_depth_node.core.synchronizer import ApproximateTimeSynchronizer, ExactTimeSynchronizer

MS = 1_000_000


def feed(sync, arrivals):
    """Add (input, stamp_ms) arrivals; return the emitted sets as tuples of (input, stamp_ms)."""
    emitted = []
    for index, stamp in arrivals:
        result = sync.add(index, int(stamp * MS), (index, stamp))
        if result is not None:
            emitted.append(result)
    return emitted


class TestExact:
    def test_pairs_identical_stamps_whatever_the_arrival_order(self):
        sync = ExactTimeSynchronizer(4, queue_size=5)
        emitted = feed(sync, [(2, 100), (0, 100), (3, 100), (1, 200), (1, 100),
                              (0, 200), (3, 200), (2, 200)])
        assert emitted == [((0, 100), (1, 100), (2, 100), (3, 100)),
                           ((0, 200), (1, 200), (2, 200), (3, 200))]
        assert sync.stats.sets == 2 and sync.stats.dropped == 0

    def test_interleaved_frames_out_of_order(self):
        sync = ExactTimeSynchronizer(2, queue_size=5)
        emitted = feed(sync, [(0, 100), (0, 200), (1, 200), (1, 100)])
        # 200 completes first; 100 can no longer be emitted in order and is dropped.
        assert emitted == [((0, 200), (1, 200))]
        assert sync.stats.dropped == 2  # (0,100) pending, then the late (1,100)

    def test_skewed_stamps_never_pair(self):
        sync = ExactTimeSynchronizer(2, queue_size=5)
        assert feed(sync, [(0, 100), (1, 101), (0, 200), (1, 201)]) == []
        assert sync.stats.why_no_sets(("left", "right"), approximate=False) == (
            "newest stamps differ by 1.0 ms (left is the oldest); "
            "exact sync needs identical stamps: set approximate_sync to true")
        assert sync.stats.why_no_sets(("left", "right"), approximate=True).endswith(
            "raise approximate_sync_tolerance_seconds or queue_size")

    def test_dropped_message_loses_only_its_frame(self):
        sync = ExactTimeSynchronizer(2, queue_size=5)
        emitted = feed(sync, [(0, 100), (0, 200), (1, 200), (0, 300), (1, 300)])
        assert emitted == [((0, 200), (1, 200)), ((0, 300), (1, 300))]
        assert sync.stats.dropped == 1

    def test_duplicate_is_replaced_not_doubled(self):
        sync = ExactTimeSynchronizer(2, queue_size=5)
        sync.add(0, 100, "first")
        sync.add(0, 100, "second")
        assert sync.add(1, 100, "right") == ("second", "right")
        assert sync.stats.duplicates == 1
        assert sync.add(0, 100, "late duplicate") is None  # already emitted
        assert sync.stats.dropped == 1

    def test_queue_size_bounds_pending_stamps(self):
        sync = ExactTimeSynchronizer(2, queue_size=2)
        feed(sync, [(0, 100), (0, 200), (0, 300)])
        assert sync.stats.dropped == 1  # 100 evicted
        assert feed(sync, [(1, 100)]) == []
        assert feed(sync, [(1, 300)]) == [((0, 300), (1, 300))]


class TestApproximate:
    def test_pairs_skewed_stamps_within_tolerance(self):
        sync = ApproximateTimeSynchronizer(2, queue_size=5, max_interval_ns=5 * MS)
        emitted = feed(sync, [(0, 100), (1, 103), (0, 200), (1, 203), (0, 300), (1, 303)])
        assert emitted == [((0, 100), (1, 103)), ((0, 200), (1, 203))]
        # the last set waits: input 0 could still deliver a stamp closer to 303
        assert feed(sync, [(0, 400)]) == [((0, 300), (1, 303))]

    def test_rejects_sets_wider_than_tolerance(self):
        sync = ApproximateTimeSynchronizer(2, queue_size=5, max_interval_ns=2 * MS)
        emitted = feed(sync, [(0, 100), (1, 103), (0, 200), (1, 203), (0, 300)])
        assert emitted == []
        assert sync.stats.dropped >= 2

    def test_equal_stamps_pair_immediately(self):
        sync = ApproximateTimeSynchronizer(4, queue_size=5, max_interval_ns=0)
        emitted = feed(sync, [(0, 100), (1, 100), (2, 100), (3, 100)])
        assert emitted == [((0, 100), (1, 100), (2, 100), (3, 100))]

    def test_picks_the_closest_message(self):
        sync = ApproximateTimeSynchronizer(2, queue_size=5)
        emitted = feed(sync, [(0, 100), (0, 133), (0, 166), (1, 140)])
        assert emitted == [((0, 133), (1, 140))]
        assert sync.stats.dropped == 1  # 100 can never be used now

    def test_out_of_order_arrival_within_an_input(self):
        sync = ApproximateTimeSynchronizer(2, queue_size=5, max_interval_ns=1 * MS)
        emitted = feed(sync, [(0, 200), (0, 100), (1, 100), (1, 200)])
        assert emitted == [((0, 100), (1, 100)), ((0, 200), (1, 200))]

    def test_late_message_after_emission_is_dropped(self):
        sync = ApproximateTimeSynchronizer(2, queue_size=5, max_interval_ns=1 * MS)
        feed(sync, [(0, 200), (1, 200)])
        assert feed(sync, [(0, 150)]) == []
        assert sync.stats.dropped == 1

    def test_queue_size_drops_oldest(self):
        sync = ApproximateTimeSynchronizer(2, queue_size=2, max_interval_ns=1 * MS)
        feed(sync, [(0, 100), (0, 200), (0, 300)])
        assert sync.stats.dropped == 1
        assert feed(sync, [(1, 300)]) == [((0, 300), (1, 300))]


@pytest.mark.parametrize("cls", [ExactTimeSynchronizer, ApproximateTimeSynchronizer])
def test_invalid_construction(cls):
    with pytest.raises(ValueError, match="at least 2 inputs"):
        cls(1, 5)
    with pytest.raises(ValueError, match="queue_size = 0"):
        cls(2, 0)
    with pytest.raises(IndexError):
        cls(2, 5).add(2, 0, None)


@pytest.mark.parametrize("make", [lambda: ExactTimeSynchronizer(2, 5),
                                  lambda: ApproximateTimeSynchronizer(2, 5, 1 * MS)],
                         ids=["exact", "approximate"])
def test_time_jumping_back_restarts_synchronization(make):
    sync = make()
    first = feed(sync, [(0, 5000), (1, 5000), (0, 5100), (1, 5100), (0, 5200)])
    assert first[0] == ((0, 5000), (1, 5000))
    # the same recording again (a looping replay): stamps 5 s back
    again = feed(sync, [(0, 100), (1, 100), (0, 200), (1, 200), (0, 300)])
    assert again[0] == ((0, 100), (1, 100))
    assert sync.stats.time_jumps == 1
    # a slightly late message is still just late, not a restart
    assert feed(sync, [(1, 150)]) == [] and sync.stats.time_jumps == 1


def test_why_no_sets_names_missing_and_stopped_inputs():
    names = ("left", "right", "info")
    sync = ExactTimeSynchronizer(3, queue_size=5)
    feed(sync, [(0, 5000), (1, 5000)])
    assert sync.stats.why_no_sets(names, approximate=False).startswith(
        "nothing arrived on info since the start")
    assert feed(sync, [(2, 5000)]) == [((0, 5000), (1, 5000), (2, 5000))]
    feed(sync, [(0, 9000), (1, 9000), (0, 9100), (1, 9100)])  # info stopped at 5000
    assert sync.stats.why_no_sets(names, approximate=False) == (
        "newest stamps differ by 4100.0 ms (info is the oldest): has info stopped?")
    # time jumps back and only "left" comes again: the others are missing, not skewed
    feed(sync, [(0, 100)])
    assert sync.stats.time_jumps == 1
    assert sync.stats.why_no_sets(names, approximate=True).startswith(
        "nothing arrived on right, info since stamps jumped back")


def test_flush_emits_the_last_approximate_set_and_counts_the_rest():
    sync = ApproximateTimeSynchronizer(2, queue_size=5, max_interval_ns=5 * MS)
    assert feed(sync, [(0, 100), (1, 103), (0, 200)]) == [((0, 100), (1, 103))]
    assert feed(sync, [(1, 203)]) == []  # waits: input 0 might still bring a closer stamp
    assert sync.flush() == ((0, 200), (1, 203))
    exact = ExactTimeSynchronizer(2, queue_size=5)
    feed(exact, [(0, 100), (0, 200)])
    assert exact.flush() is None and exact.stats.dropped == 2


def test_approximate_sync_never_mixes_frames_around_a_wrong_stamp():
    # No tolerance (0 = no limit). Frame 3's left image carries a stamp 10 s early: time
    # jumps back, the synchronizer starts afresh, and frame 3 has no left image. Frame 4's
    # left image is then the nearest to frame 3's other messages, but its own frame's
    # messages are on their way: it must wait for them, not make a set of two frames.
    second, period = 1_000_000_000, 100_000_000
    sync = ApproximateTimeSynchronizer(4, queue_size=5, max_interval_ns=None)

    def stamp(frame):
        return 20 * second + frame * period

    arrivals = [(i, 1) for i in (3, 2, 1, 0)] + [(i, 2) for i in (3, 1, 0, 2)] + [
        (0, 3), (3, 3), (1, 3), (2, 3), (3, 4), (0, 4), (2, 4), (1, 4)]
    sets = []
    for index, frame in arrivals:
        early = (index, frame) == (0, 3)
        matched = sync.add(index, stamp(frame) - (10 * second if early else 0), frame)
        if matched is not None:
            sets.append(matched)
    assert sets == [(1, 1, 1, 1), (2, 2, 2, 2), (4, 4, 4, 4)]
    assert sync.stats.time_jumps == 1
    assert sync.stats.dropped == 4  # frame 3's three messages and the early left image


@pytest.mark.parametrize("make", [
    lambda: ApproximateTimeSynchronizer(4, queue_size=5, max_interval_ns=None),
    lambda: ExactTimeSynchronizer(4, queue_size=5),
])
def test_a_stamp_far_in_the_future_is_dropped_not_paired(make):
    # Frame 2's right camera_info is stamped 10 s ahead and frame 2's left image is lost:
    # the future stamp must not stand in for "a newer message has arrived" and pull later
    # frames out of step; it is dropped as a stamp from the future.
    second, period = 1_000_000_000, 100_000_000
    sync = make()
    sets = []
    for frame in range(1, 6):
        for index in (0, 1, 2, 3):
            if (frame, index) == (2, 0):
                continue  # lost
            stamp = 20 * second + frame * period + (10 * second if (frame, index) == (2, 3) else 0)
            matched = sync.add(index, stamp, frame)
            if matched is not None:
                sets.append(matched)
    assert sets == [(1, 1, 1, 1), (3, 3, 3, 3), (4, 4, 4, 4), (5, 5, 5, 5)]
    assert sync.stats.future_stamps == 1
    assert sync.stats.time_jumps == 0


def test_a_jump_forward_of_every_input_loses_nothing():
    second = 1_000_000_000
    sync = ApproximateTimeSynchronizer(2, queue_size=5, max_interval_ns=None)
    assert sync.add(0, 10 * second, "a") is None
    assert sync.add(1, 10 * second, "b") == ("a", "b")
    # Both cameras jump 100 s ahead (a new recording, a pause): the first message is held,
    # the second input's jump confirms it, and the pair forms.
    assert sync.add(0, 110 * second, "c") is None
    assert sync.add(1, 110 * second, "d") == ("c", "d")
    assert sync.add(0, 111 * second, "e") is None
    assert sync.add(1, 111 * second, "f") == ("e", "f")
    assert sync.stats.future_stamps == 0 and sync.stats.dropped == 0
    assert sync.stats.received == [3, 3]


def test_one_input_running_ahead_in_a_burst_is_not_lost():
    # Frames 1 s apart; the executor hands over the left images of frames 21 and 22 before
    # the other inputs' frame 21: the left image of 22 is 2 s ahead of every other input for
    # a moment. It is held, then added as soon as the others catch up.
    second = 1_000_000_000
    sync = ExactTimeSynchronizer(4, queue_size=5)
    arrivals = [(i, 20) for i in range(4)] + [(0, 21), (0, 22)] + [(i, 21) for i in (1, 2, 3)] \
        + [(i, 22) for i in (1, 2, 3)]
    sets = [matched for index, frame in arrivals
            if (matched := sync.add(index, frame * second, frame)) is not None]
    assert sets == [(20, 20, 20, 20), (21, 21, 21, 21), (22, 22, 22, 22)]
    assert sync.stats.dropped == 0 and sync.stats.future_stamps == 0
