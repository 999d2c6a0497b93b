# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest

from stereo_depth_node.core.geometry import StereoGeometry
from stereo_depth_node.core.matching import ValidWindow
from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.core.processor import StereoFrame, StereoProcessor
from stereo_depth_node.testing.metrics import evaluate
from stereo_depth_node.testing.scenes import rectified_calibrations

from helpers import IN_BACKGROUND, IN_BOX, make_box_scene

PARAMS = MatcherParams(disparity_range=32, correlation_window_size=9)


@pytest.fixture(scope="module")
def scene():
    """The box scene (f = 400 px, T = 0.1 m) with texture seed 0, not the shared seed 5:
    test_set_params_changes_the_result checks one pixel's exact value (10.125 px with seed 5)."""
    return make_box_scene(seed=0)


def test_depth_and_points_follow_the_disparity(scene):
    frame = StereoProcessor(PARAMS).process(scene.left, "mono8", scene.right, "mono8",
                                            scene.geometry, ("points2",), color=True)
    center = (120, 160)
    box = IN_BOX
    assert np.median(frame.disparity[box]) == pytest.approx(20.0, abs=1 / 16)
    assert np.median(frame.depth[box]) == pytest.approx(400.0 * 0.1 / 20.0, rel=4e-3)  # 2 m
    known = np.isfinite(frame.disparity) & (frame.disparity > 0)
    np.testing.assert_allclose(frame.depth[known], 40.0 / frame.disparity[known], rtol=1e-6)
    assert np.isnan(frame.depth[~known]).all()
    points = frame.points()
    np.testing.assert_array_equal(points[:, :, 2], frame.depth)
    x_expected = (160 - scene.geometry.cx) * frame.depth[center] / 400.0
    assert points[center][0] == pytest.approx(x_expected, rel=1e-6)
    np.testing.assert_array_equal(frame.rgb[:, :, 0], scene.left)


def test_only_requested_outputs_are_computed(scene):
    frame = StereoProcessor(PARAMS).process(scene.left, "mono8", scene.right, "mono8",
                                            scene.geometry)
    assert frame.depth is None and frame.rgb is None


def test_verged_rig_shifts_disparity_and_bounds(scene):
    left_cal, right_cal = rectified_calibrations(320, 240, 400.0, 150.0, 120.0, 0.1,
                                                 cx_right=160.0)
    geometry = StereoGeometry.from_calibrations(left_cal, right_cal)
    processor = StereoProcessor(PARAMS)
    frame = processor.process(scene.left, "mono8", scene.right, "mono8", geometry, ("depth",))
    # x_l - x_r = 20 px on the box; d = 20 - (150 - 160) = 30 px; Z = 400 * 0.1 / 30
    box = IN_BOX
    assert np.median(frame.disparity[box]) == pytest.approx(30.0, abs=1 / 16)
    assert np.median(frame.depth[box]) == pytest.approx(40.0 / 30.0, rel=3e-3)
    assert (frame.min_disparity, frame.max_disparity) == (10.0, 41.0)
    np.testing.assert_array_equal(frame.matcher_disparity(), frame.disparity - 10.0)


def test_set_params_changes_the_result(scene):
    processor = StereoProcessor(PARAMS)
    before = processor.process(scene.left, "mono8", scene.right, "mono8", scene.geometry)
    processor.set_params(PARAMS.replace(min_disparity=16))
    after = processor.process(scene.left, "mono8", scene.right, "mono8", scene.geometry)
    assert np.isfinite(before.disparity[120, 280]) and before.disparity[120, 280] == 10.0
    assert not (np.abs(after.disparity[IN_BACKGROUND] - 10.0) < 1.0).any()


def test_colour_input_is_matched_as_its_grey_image(motorcycle_scene):
    moto = motorcycle_scene  # rgb8 with distinct channels
    processor = StereoProcessor(MatcherParams(disparity_range=64))

    def disparity(left, right, encoding):
        return np.nan_to_num(processor.process(left, encoding, right, encoding,
                                               moto.geometry).disparity, nan=-1)

    weights = np.array([0.299, 0.587, 0.114])  # ITU-R 601, R G B
    grey_left, grey_right = (np.round(image @ weights).astype(np.uint8)
                             for image in (moto.left, moto.right))
    as_grey = disparity(grey_left, grey_right, "mono8")
    bgr_left, bgr_right = (np.ascontiguousarray(image[:, :, ::-1])
                           for image in (moto.left, moto.right))
    # cvtColor's fixed-point weights may round a few pixels one level differently
    assert np.mean(disparity(moto.left, moto.right, "rgb8") == as_grey) > 0.99
    np.testing.assert_array_equal(disparity(bgr_left, bgr_right, "bgr8"),
                                  disparity(moto.left, moto.right, "rgb8"))
    # the declared channel order matters: the same bytes read the other way round differ
    assert np.mean(disparity(bgr_left, bgr_right, "rgb8") == as_grey) < 0.9


@pytest.mark.parametrize("right_encoding, right_shape, camera_size, message", [
    ("bgr8", None, None, "left image is mono8 but right is bgr8"),
    ("mono8", (240, 300), None, "left image is 320x240 but right is 300x240"),
    ("mono8", None, (640, 480), "images are 320x240 but camera_info says 640x480"),
])
def test_bad_pairs_are_rejected(scene, right_encoding, right_shape, camera_size, message):
    right = scene.right if right_shape is None else np.zeros(right_shape, np.uint8)
    geometry = scene.geometry
    if camera_size:
        geometry = StereoGeometry.from_calibrations(
            *rectified_calibrations(*camera_size, 400.0, 160.0, 120.0, 0.1))
    with pytest.raises(ValueError, match=message):
        StereoProcessor(PARAMS).process(scene.left, "mono8", right, right_encoding, geometry)


def test_invalid_pixels_are_marked_below_min_disparity():
    geometry = StereoGeometry(2, 1, fx=1.0, fy=1.0, cx=0.0, cy=0.0, cx_right=0.0, baseline=1.0)
    frame = StereoFrame(np.array([[np.nan, 5.0]], np.float32), geometry, (31, 94), 1 / 16,
                        ValidWindow(0, 0, 2, 1))
    filled = frame.disparity_with_invalid_marked()
    assert filled.tolist() == [[30.0, 5.0]]
    assert filled.dtype == np.float32


def test_motorcycle_through_the_pipeline(motorcycle_scene):
    scene = motorcycle_scene
    geometry = scene.geometry
    frame = StereoProcessor().process(scene.left, "rgb8", scene.right, "rgb8", geometry,
                                      ("depth",))
    truth = geometry.published_disparity(scene.ground_truth)
    accuracy = evaluate(frame.disparity, truth, threshold=2.0)
    assert accuracy.bad < 30.0 and accuracy.density > 75.0
    # depth agrees with the ground truth's depth where both are known and the match is good
    truth_depth = geometry.depth_from_disparity(truth)
    good = np.abs(frame.disparity - truth) < 1.0
    relative = np.abs(frame.depth[good] - truth_depth[good]) / truth_depth[good]
    assert np.median(relative) < 0.01
