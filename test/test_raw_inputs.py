# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Raw, Bayer and compressed input messages through process_inputs, without a ROS graph."""

import dataclasses

import numpy as np
import pytest

from stereo_depth_node.core.parameters import MatcherParams, NodeSettings
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.core.rectification import Rectifier
from stereo_depth_node.ros.messages import (
    camera_info_from_model,
    camera_model_from_info,
    colours_of,
    header_at,
    output_messages,
    process_inputs,
)
from stereo_depth_node.testing.frames import raw_input_messages, stereo_input_messages

from helpers import SECOND, load_raw_motorcycle

OUTPUTS = ("disparity", "depth", "points2")
MOTORCYCLE_PARAMS = MatcherParams(disparity_range=272, correlation_window_size=11)


def agreement(disparity, expected):
    """The share of pixels both know where they agree within 1 px, and that share of both."""
    both = np.isfinite(disparity) & np.isfinite(expected)
    return (np.abs(disparity - expected)[both] <= 1.0).mean(), both.mean()


@pytest.fixture(scope="module")
def rectified_disparity():
    scene = load_raw_motorcycle().rectified
    return StereoProcessor(MOTORCYCLE_PARAMS).process(scene.left, "rgb8", scene.right, "rgb8",
                                                      scene.geometry).disparity


def test_a_camera_info_holds_the_whole_calibration():
    camera = load_raw_motorcycle().right_camera
    info = camera_info_from_model(camera, header_at(SECOND, camera.frame_id))
    assert camera_model_from_info(info) == camera
    assert (info.distortion_model, len(info.d)) == ("plumb_bob", 5)


@pytest.mark.parametrize("encoding", ["rgb8", "mono8", "bayer_rggb8", "bayer_gbrg16"])
def test_raw_messages_rectified_give_the_rectified_pairs_disparity(encoding,
                                                                   rectified_disparity):
    raw = load_raw_motorcycle()
    if encoding.endswith("16"):
        raw = type(raw)(raw.left.astype(np.uint16) * 257, raw.right.astype(np.uint16) * 257,
                        raw.left_camera, raw.right_camera, raw.rectified)
    inputs = raw_input_messages(raw, SECOND, encoding)
    frame = process_inputs(StereoProcessor(MOTORCYCLE_PARAMS), tuple(inputs), OUTPUTS, True,
                           Rectifier())
    within, both = agreement(frame.disparity, rectified_disparity)
    assert within >= 0.95 and both > 0.4  # measured 99.9 % (rgb8) of 47 %
    # the geometry is P's: f and T of the rectified scene, its size
    assert frame.geometry.fx == pytest.approx(994.978)
    assert frame.geometry.baseline == pytest.approx(0.193001)
    assert frame.rgb is not None and frame.rgb.shape == (500, 741, 3)


def test_without_rectify_raw_images_are_matched_as_they_are(rectified_disparity):
    inputs = raw_input_messages(load_raw_motorcycle(), SECOND)
    frame = process_inputs(StereoProcessor(MOTORCYCLE_PARAMS), tuple(inputs), OUTPUTS, False)
    within, _ = agreement(frame.disparity, rectified_disparity)
    assert within < 0.8


def test_an_uncalibrated_camera_info_with_rectify_is_an_error_naming_it():
    inputs = raw_input_messages(load_raw_motorcycle(), SECOND)
    inputs[3].k = [0.0] * 9
    with pytest.raises(ValueError, match=r"right camera_info is uncalibrated \(K is all "
                                         r"zeros\): rectify needs"):
        process_inputs(StereoProcessor(), tuple(inputs), OUTPUTS, False, Rectifier())


def test_png_compressed_inputs_give_the_same_outputs(motorcycle_scene):
    processor = StereoProcessor(MOTORCYCLE_PARAMS)
    raw = output_messages(processor, *stereo_input_messages(motorcycle_scene, SECOND), OUTPUTS,
                          NodeSettings())
    png = output_messages(processor, *stereo_input_messages(motorcycle_scene, SECOND,
                                                            codec="png"), OUTPUTS,
                          NodeSettings())
    for name in OUTPUTS:
        assert png[name] == raw[name], name


def test_jpeg_compressed_inputs_give_a_close_disparity(motorcycle_scene):
    processor = StereoProcessor(MOTORCYCLE_PARAMS)
    frames = [process_inputs(processor, tuple(stereo_input_messages(motorcycle_scene, SECOND,
                                                                    codec=codec)),
                             OUTPUTS, True) for codec in (None, "jpeg")]
    within, both = agreement(frames[1].disparity, frames[0].disparity)
    assert within >= 0.95 and both > 0.4
    assert not np.array_equal(frames[1].disparity, frames[0].disparity)


def test_compressed_raw_bayer_images_are_decoded_then_rectified(rectified_disparity):
    # image_transport's compressed plugin codes a Bayer image into a PNG undemosaiced
    raw = load_raw_motorcycle()
    raw = type(raw)(raw.left[:, :740], raw.right[:, :740],
                    dataclasses.replace(raw.left_camera, width=740),
                    dataclasses.replace(raw.right_camera, width=740), raw.rectified)
    png = raw_input_messages(raw, SECOND, "bayer_grbg8", codec="png")
    assert png[0].format == "bayer_grbg8; png compressed "
    processor = StereoProcessor(MOTORCYCLE_PARAMS)
    frames = [process_inputs(processor, tuple(inputs), OUTPUTS, True, Rectifier())
              for inputs in (png, raw_input_messages(raw, SECOND, "bayer_grbg8"))]
    np.testing.assert_array_equal(frames[0].disparity, frames[1].disparity)
    np.testing.assert_array_equal(frames[0].rgb, frames[1].rgb)
    within, _ = agreement(frames[0].disparity, rectified_disparity[:, :740])
    assert within >= 0.95


def test_a_colour_image_of_the_disparitys_size_is_read_compressed_too():
    inputs = stereo_input_messages(load_raw_motorcycle().rectified, SECOND, codec="png")
    np.testing.assert_array_equal(colours_of(inputs[0], 741, 500),
                                  load_raw_motorcycle().rectified.left)
    with pytest.raises(ValueError, match="colour image is 741x500 but the frame is 640x480"):
        colours_of(inputs[0], 640, 480)


def test_with_rectify_the_disparity_does_not_depend_on_the_outputs_wanted():
    raw = load_raw_motorcycle()
    inputs = tuple(raw_input_messages(raw, SECOND))
    processor = StereoProcessor(MOTORCYCLE_PARAMS)
    alone = process_inputs(processor, inputs, ["disparity"], True, Rectifier())
    coloured = process_inputs(processor, inputs, OUTPUTS, True, Rectifier())
    np.testing.assert_array_equal(alone.disparity, coloured.disparity)
    assert alone.rgb is None
    expected, _ = Rectifier().rectify(raw.left, "rgb8", raw.left_camera, "left", colour=True)
    np.testing.assert_array_equal(coloured.rgb, expected)


def test_the_interpolation_of_the_frames_settings_is_the_one_used():
    inputs = tuple(raw_input_messages(load_raw_motorcycle(), SECOND))
    processor, rectifier = StereoProcessor(), Rectifier()
    nearest = process_inputs(processor, inputs, ["disparity"], False, rectifier, 0).rectified
    linear = process_inputs(processor, inputs, ["disparity"], False, rectifier).rectified
    raw = load_raw_motorcycle()
    expected, _ = rectifier.rectify(raw.left, "rgb8", raw.left_camera, "left", False, 0)
    np.testing.assert_array_equal(nearest[0], expected)
    assert not np.array_equal(nearest[0], linear[0])
