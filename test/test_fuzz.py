# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""A seeded storm of malformed input sets and invalid parameter requests against one node.

1000 malformed sets (broken images, impossible calibrations, mismatched pairs) and 100
invalid parameter requests, interleaved with good frames whose outputs must come out
equal to the core's. The node must answer every good frame, keep its parameters, and exit
cleanly afterwards.
"""

import dataclasses
import random
import signal

import numpy as np
import pytest
from rcl_interfaces.srv import SetParameters

from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.ros.messages import INPUT_TOPICS, array_from_image
from stereo_depth_node.testing.frames import stereo_input_messages

from helpers import (
    SECOND,
    connect,
    get_parameter,
    raw_request,
    set_parameters,
    statuses,
    value_of,
)

pytestmark = pytest.mark.ros

MALFORMED_SETS = 1000
PARAMETER_REQUESTS = 100
GOOD_EVERY = 20  # a good frame after every 20 malformed sets: 50 good frames
SEED = 20261130


def break_encoding(rng, messages):
    image = messages[rng.choice((0, 2))]
    image.encoding = rng.choice(["", "rgb16", "32FC1", "bayer_rggb8", "mono8\0", "jpeg", "???"])


def break_step(rng, messages):
    image = messages[rng.choice((0, 2))]
    image.step = rng.choice([0, 1, image.width - 1, image.step * 1000, 2**31 - 1])


def truncate_data(rng, messages):
    image = messages[rng.choice((0, 2))]
    image.data = bytes(image.data)[: rng.randrange(0, len(image.data))]


def break_size(rng, messages):
    image = messages[rng.choice((0, 2))]
    image.width, image.height = rng.choice([(0, 0), (100000, 100000), (1, 2**31 - 1),
                                            (image.width + 1, image.height)])


def mismatch_pair(rng, messages):
    right = messages[2]
    right.width, right.step = right.width - 16, right.step - 16
    right.data = bytes(np.frombuffer(bytes(right.data), np.uint8).reshape(
        right.height, -1)[:, :right.step].tobytes())


def mismatch_encoding(rng, messages):
    messages[2].encoding = "8UC1" if rng.random() < 0.5 else "mono16"


def break_calibration(rng, messages):
    info = messages[rng.choice((1, 3))]
    p = list(info.p)
    index = rng.randrange(12)
    p[index] = rng.choice([float("nan"), float("inf"), -float("inf"), 0.0, -1.0, 1e39, 1e300])
    info.p = p


def zero_calibration(rng, messages):
    for info in (messages[1], messages[3]):
        info.p = [0.0] * 12
        info.k = [0.0] * 9


def break_info_size(rng, messages):
    info = messages[rng.choice((1, 3))]
    info.width, info.height = rng.choice([(0, 0), (info.width // 2, info.height), (1, 1)])


def garbage(rng, messages):
    for image in (messages[0], messages[2]):
        image.width, image.height = rng.randrange(1, 64), rng.randrange(1, 64)
        image.step = rng.randrange(0, 256)
        image.encoding = rng.choice(["mono8", "rgb8", "mono16", "bgra8", "16UC1"])
        image.is_bigendian = rng.randrange(2)
        image.data = rng.randbytes(rng.randrange(0, 4096))


MUTATIONS = (break_encoding, break_step, truncate_data, break_size, mismatch_pair,
             mismatch_encoding, break_calibration, zero_calibration, break_info_size, garbage)


def invalid_parameter_request(rng):
    """An invalid request: (name, value) for the parameter client, or a raw value type."""
    return rng.choice([
        ("disparity_range", rng.choice([0, 17, 5000, -16])),
        ("correlation_window_size", rng.choice([4, 6, 300])),
        ("queue_size", rng.choice([0, -1, 10**6])),
        ("approximate_sync_tolerance_seconds", rng.choice([-1.0, 3600.5, 3600.0018])),
        ("min_confidence", 1.5),
        ("downsample", 3),
        ("P2", 100.0),  # below P1 = 200
        ("stereo_algorithm", "sgbm"),
        ("use_color", 1),
        ("", 1),
        ("raw", rng.choice([10, 99, 255])),
    ])


def test_malformed_inputs_and_parameter_requests_never_end_the_node(start_node, client,
                                                                   namespace, box_scene):
    rng = random.Random(SEED)
    node = start_node()
    stream = client(("disparity", "depth", "points2", "confidence"))
    seen = statuses(stream, namespace)
    connect(stream, box_scene)
    expected = StereoProcessor(MatcherParams()).process(
        box_scene.left, "mono8", box_scene.right, "mono8", box_scene.geometry, ("depth",))
    expected_image = expected.disparity_with_invalid_marked()
    stamp, good_stamps, answers, raw_requests = 100 * SECOND, [], [], 0
    requests = sorted(rng.sample(range(MALFORMED_SETS), PARAMETER_REQUESTS))
    for index in range(MALFORMED_SETS):
        stamp += 1_000_000
        messages = stereo_input_messages(dataclasses.replace(box_scene), stamp)
        rng.choice(MUTATIONS)(rng, messages)
        for topic, message in zip(INPUT_TOPICS, messages):
            stream.publish_raw(topic, message)
        stream.spin_until(lambda: False, 0.002)
        if requests and requests[0] == index:
            requests.pop(0)
            name, value = invalid_parameter_request(rng)
            if name == "raw":
                response = raw_request(stream, namespace, SetParameters, value)
                assert response is not None and not response.results[0].successful
                raw_requests += 1
            else:
                answers += set_parameters(stream, namespace, **{name: value})
        if index % GOOD_EVERY == GOOD_EVERY - 1:
            stamp += 1_000_000
            good_stamps.append(stamp)
            for topic, message in zip(INPUT_TOPICS, stereo_input_messages(box_scene, stamp)):
                stream.publish_raw(topic, message)
            assert stream.spin_until(
                lambda s=stamp: s in stream.received.messages.get("disparity", {}), 10), \
                f"good frame {len(good_stamps)} got no disparity:\n{node.output()[-3000:]}"
    assert node.process.poll() is None
    assert len(answers) + raw_requests == PARAMETER_REQUESTS and raw_requests > 0
    assert [answer.reason for answer in answers if answer.successful] == []
    received = stream.received.messages["disparity"]
    assert len(good_stamps) == MALFORMED_SETS // GOOD_EVERY
    assert stream.spin_until(lambda: set(good_stamps) <= set(stream.received.messages["depth"]),
                             5)
    for good in good_stamps:
        np.testing.assert_array_equal(array_from_image(received[good].image), expected_image)
        np.testing.assert_array_equal(
            array_from_image(stream.received.messages["depth"][good]), expected.depth)
        assert received[good].header.stamp.sec * SECOND + received[good].header.stamp.nanosec \
            == good
    assert stream.spin_until(lambda: len(seen) >= 2, 5)
    totals = [int(value_of(status, "frames dropped since start")) for status in seen]
    print(f"frames dropped since start: {totals[-1]}, good frames {len(good_stamps)}")
    assert totals[-1] >= MALFORMED_SETS * 0.6  # most sets reached the node (815 measured)
    assert get_parameter(stream, namespace, "disparity_range").integer_value == 64
    assert get_parameter(stream, namespace, "queue_size").integer_value == 10  # the default
    assert node.stop(signal.SIGINT) == 0
    log = node.output()
    assert "dropped frame at" in log and "no depth for the frame" in log
    assert "Traceback" not in log  # the raw requests are refused, with a warning
    assert "refused a set_parameters request: parameter 'queue_size': value type" in log
    assert "RuntimeWarning" not in log and "unexpected" not in log
