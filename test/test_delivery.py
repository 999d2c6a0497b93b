# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Which input streams lose messages their partners receive: the arithmetic, without ROS."""

import pytest

from stereo_depth_node.core.delivery import ArrivalWindow, LaggingInput, lagging_inputs

TOPICS = ("left/image_raw", "left/camera_info", "right/image_raw", "right/camera_info")


def test_an_image_at_a_tenth_of_its_partners_rate_lags():
    counts = {"left/image_raw": 9, "left/camera_info": 90, "right/image_raw": 88,
              "right/camera_info": 90}
    [lag] = lagging_inputs(counts, seconds=3.0)
    assert lag == LaggingInput("left/image_raw", 9, "left/camera_info", 90, 3.0)
    assert lag.share == pytest.approx(0.1)
    assert lag.describe() == ("left/image_raw arrives at 3.0 Hz, left/camera_info at "
                              "30.0 Hz (10 %)")


def test_missing_camera_infos_lag_most_lagging_first_and_silent_inputs_do_not():
    counts = {"left/image_raw": 90, "left/camera_info": 30, "right/image_raw": 90,
              "right/camera_info": 12}
    assert [lag.topic for lag in lagging_inputs(counts, 3.0)] == ["right/camera_info",
                                                                  "left/camera_info"]
    counts["right/camera_info"] = 0  # nothing at all: not sent, rather than lost
    assert [lag.topic for lag in lagging_inputs(counts, 3.0)] == ["left/camera_info"]


@pytest.mark.parametrize("counts", [
    {"a": 90, "b": 73},  # 81 %: late repairs, not loss
    {"a": 9, "b": 0},  # too few messages to call it a stream
    {"a": 0, "b": 0},
    {},
])
def test_streams_that_keep_up_or_barely_started_do_not_lag(counts):
    assert lagging_inputs(counts, 3.0) == []


def test_a_window_judges_only_once_it_spans_its_periods_and_forgets_old_ones():
    window = ArrivalWindow(TOPICS, periods=3)
    lossy = {"left/image_raw": 3, "left/camera_info": 30, "right/image_raw": 30,
             "right/camera_info": 30}
    window.add(lossy, 1.0)
    window.add(lossy, 1.0)
    assert window.lagging() == []  # two of three periods
    window.add(lossy, 1.0)
    [lag] = window.lagging()
    assert (lag.topic, lag.received, lag.partner_received, lag.seconds) == \
        ("left/image_raw", 9, 90, 3.0)
    for _ in range(3):  # the loss ends: three good periods push it out
        window.add(dict.fromkeys(TOPICS, 30), 1.0)
    assert window.lagging() == []
    window.add({"left/camera_info": 30}, 1.0)  # topics without messages count as 0
    window.add({"left/camera_info": 30}, 1.0)
    assert [lag.topic for lag in window.lagging()] == ["left/image_raw", "right/image_raw",
                                                       "right/camera_info"]
    assert [lag.received for lag in window.lagging()] == [30, 30, 30]
    window.clear()
    assert window.lagging() == []
