# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Each depth-quality stage does what it claims, on synthetic scenes with exact ground truth."""

import functools

import numpy as np
import pytest

from stereo_depth_node.core.matching import DenseMatcher
from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.core.refinement import fill_holes_background
from stereo_depth_node.testing.metrics import evaluate
from stereo_depth_node.testing.scenes import Layer, layered_scene, slanted_scene

from helpers import make_box_scene, make_tiny_scene

SGBM = MatcherParams(stereo_algorithm=1, correlation_window_size=5, P1=200.0, P2=800.0,
                     disparity_range=32, uniqueness_ratio=10.0, disp12_max_diff=1)
NEAR_BOX = Layer(120, 60, 220, 180, 24)


@pytest.fixture(scope="module")
def near_box_scene():
    """A 24 px box at columns 120..219 in front of an 8 px background: the regions below
    (the occluded band 106..117, the left band) follow from these numbers."""
    return make_box_scene(seed=21, background_disparity=8, box=NEAR_BOX)


@pytest.fixture(scope="module")
def slanted():
    """One textured plane whose disparity grows from 6 px (top row) to 30 px (bottom row)."""
    return slanted_scene(width=320, height=240, top_disparity=6.0, bottom_disparity=30.0)


def match(scene, params, outputs=("disparity",)):
    return StereoProcessor(params).process(scene.left, scene.encoding, scene.right,
                                           scene.encoding, scene.geometry, outputs)


def test_border_matching_estimates_the_left_band(near_box_scene):
    band = (slice(20, 220), slice(10, 32))  # inside min_disparity + disparity_range = 32
    raw = match(near_box_scene, SGBM).disparity
    assert np.isnan(raw[band]).all()
    padded = match(near_box_scene, SGBM.replace(border_matching=True)).disparity
    truth = near_box_scene.ground_truth[band]
    known = np.isfinite(truth)  # pixels with x >= 8 have a match in the right image
    accuracy = evaluate(padded[band], truth, threshold=0.5)
    assert accuracy.density > 90.0 and accuracy.bad_kept < 1.0
    assert known.mean() > 0.9
    window = DenseMatcher(SGBM.replace(border_matching=True)).valid_window(320, 240)
    assert window.x_offset == 1  # OpenCV's window: min + range + half block - 1, less the pad
    assert DenseMatcher(SGBM).valid_window(320, 240).x_offset == 32 + 2 - 1


def test_border_matching_does_not_pull_the_first_columns_to_zero():
    # A bright, faintly textured background at 24 px (like a lit floor): columns 0..23 are
    # not visible to the right camera. Black padding would put the same strong step at
    # column 0 of both images, which matches itself at disparity 0 and then spreads over
    # the band by hole filling; padding with copies of the first column has no such step.
    scene = layered_scene(width=320, height=240, background_disparity=24, seed=22)
    left, right = ((image * 0.05 + 150).astype(np.uint8) for image in (scene.left, scene.right))
    params = SGBM.replace(border_matching=True, lr_check_max_diff=1.0)
    for fill_holes in (False, True):
        disparity = StereoProcessor(params.replace(fill_holes=fill_holes)).process(
            left, "mono8", right, "mono8", scene.geometry).disparity
        assert np.nanmin(disparity) > 22.0
    assert np.abs(disparity - 24.0).max() < 1.0  # filled: the background everywhere


def test_lr_check_marks_the_occluded_band_beside_the_box(near_box_scene):
    # Left pixels just left of the box see background that the box hides from the right
    # camera: columns 120 - (24 - 8) .. 119 are occluded.
    occluded = (slice(70, 170), slice(106, 118))
    assert np.isnan(near_box_scene.ground_truth[occluded]).all()
    # BM without its uniqueness, texture and speckle tests guesses there (SGBM marks
    # occlusions itself)
    unchecked = MatcherParams(correlation_window_size=9, disparity_range=32,
                              uniqueness_ratio=0.0, texture_threshold=0, speckle_size=0)
    raw = match(near_box_scene, unchecked).disparity
    checked = match(near_box_scene, unchecked.replace(lr_check_max_diff=1.0)).disparity
    assert np.isfinite(raw[occluded]).mean() > 0.5  # the matcher guesses there
    assert np.isfinite(checked[occluded]).mean() < 0.1
    visible = (slice(70, 170), slice(240, 300))
    assert np.isfinite(checked[visible]).mean() > 0.95


def test_hole_filling_takes_the_background_side(near_box_scene):
    filled = match(near_box_scene,
                   SGBM.replace(lr_check_max_diff=1.0, fill_holes=True)).disparity
    occluded = (slice(70, 170), slice(106, 118))
    assert np.isfinite(filled[70:170, 40:300]).all()
    np.testing.assert_allclose(np.median(filled[occluded]), 8.0, atol=0.5)  # never 24


def test_hole_filling_rules_by_hand():
    row = np.array([[np.nan, 5.0, np.nan, np.nan, 20.0, 20.0, np.nan, 21.0, np.nan]],
                   np.float32)
    filled = fill_holes_background(row)
    # end -> its one neighbour; across a depth edge -> the farther (5); inside a surface -> linear
    np.testing.assert_allclose(filled, [[5.0, 5.0, 5.0, 5.0, 20.0, 20.0, 20.5, 21.0, 21.0]])
    assert np.isnan(fill_holes_background(np.full((1, 4), np.nan, np.float32))).all()


def test_confidence_low_on_a_textureless_wall_high_on_texture(wall_scene):
    scene = wall_scene  # the wall covers columns 140..259, rows 60..179
    frame = match(scene, SGBM, ("confidence",))
    wall = frame.confidence[80:160, 170:240]
    textured = frame.confidence[80:160, 40:100]
    assert np.median(wall) < 0.1
    assert np.median(textured) > 0.9
    assert frame.confidence.dtype == np.float32
    assert ((frame.confidence >= 0) & (frame.confidence <= 1)).all()
    assert (frame.confidence[np.isnan(frame.disparity)] == 0).all()


def test_min_confidence_removes_pixels_from_all_three_outputs(wall_scene):
    scene = wall_scene  # the wall covers columns 140..259, rows 60..179
    kept = match(scene, SGBM.replace(min_confidence=0.5), ("points2", "confidence"))
    all_estimates = match(scene, SGBM, ("points2",))
    removed = np.isfinite(all_estimates.disparity) & np.isnan(kept.disparity)
    assert removed[80:160, 170:240].mean() > 0.5  # the wall's guesses are gone
    assert np.isnan(kept.depth[removed]).all()
    assert np.isnan(kept.points()[removed]).all()
    assert (kept.confidence[np.isfinite(kept.disparity)] >= 0.5).all()


@pytest.mark.parametrize("factor", [2, 4])
def test_downsample_keeps_full_resolution_units(factor, slanted):
    scene = slanted
    params = SGBM.replace(disparity_range=64, downsample=factor)
    frame = match(scene, params)
    assert frame.disparity.shape == (240, 320)
    accuracy = evaluate(frame.disparity[:, 80:300], scene.ground_truth[:, 80:300],
                        threshold=float(factor))
    assert accuracy.density > 80.0 and accuracy.bad_kept < 5.0
    assert np.nanmedian(frame.disparity[200:230, 150:250]) == pytest.approx(
        np.median(scene.ground_truth[200:230, 150:250]), abs=factor / 2)


@pytest.mark.parametrize("factor", [1, 2, 4])
def test_valid_window_bounds_the_estimates_also_when_downsampled(factor, near_box_scene):
    # BM (block 15, 64 disparities) fills exactly OpenCV's window, so it is the reference.
    params = MatcherParams(downsample=factor)
    window = DenseMatcher(params).valid_window(320, 240)
    matched_block = {1: 15, 2: 7, 4: 5}[factor]  # the block shrinks with the image, to >= 5
    assert window.x_offset == factor * (64 // factor + matched_block // 2 - 1)
    assert window.y_offset == factor * (matched_block // 2)
    disparity = match(near_box_scene, params).disparity
    known_columns = np.flatnonzero(np.isfinite(disparity).any(axis=0))
    known_rows = np.flatnonzero(np.isfinite(disparity).any(axis=1))
    assert known_columns[0] == window.x_offset
    assert window.x_offset + window.width - factor <= known_columns[-1] + 1
    assert known_columns[-1] < window.x_offset + window.width
    assert (known_rows[0], known_rows[-1] + 1) == (window.y_offset,
                                                   window.y_offset + window.height)


@pytest.mark.parametrize("factor", [1, 2, 4])
def test_disparity_step_is_the_resolution_of_the_output(factor, slanted):
    scene = slanted
    params = SGBM.replace(disparity_range=64, downsample=factor)
    frame = match(scene, params)
    disparity = frame.disparity
    steps = disparity[np.isfinite(disparity)] / frame.delta_d
    np.testing.assert_array_equal(steps, np.round(steps))  # whole steps, and no finer:
    assert np.gcd.reduce(np.round(steps).astype(np.int64)) == 1
    assert frame.delta_d == DenseMatcher(params).step == factor / 16


def test_slanted_plane_is_measured_to_sub_pixel_accuracy(slanted):
    scene = slanted
    accuracy = evaluate(match(scene, SGBM.replace(disparity_range=48)).disparity,
                        scene.ground_truth, threshold=0.5)
    assert accuracy.bad_kept < 5.0 and accuracy.mean_abs_error < 0.25


def test_downsampled_disparities_stay_inside_the_search_range(slanted):
    scene = slanted
    params = SGBM.replace(min_disparity=5, disparity_range=16, downsample=4)
    disparity = match(scene, params).disparity
    known = disparity[np.isfinite(disparity)]
    assert known.size > 0
    assert known.min() >= 5 and known.max() <= 5 + 16 - 1


def test_pixels_removed_by_min_confidence_have_confidence_zero(wall_scene):
    scene = wall_scene  # the wall covers columns 140..259, rows 60..179
    frame = match(scene, SGBM.replace(min_confidence=0.5), ("confidence",))
    assert (frame.confidence[np.isnan(frame.disparity)] == 0).all()


def test_opencv_refusals_become_clear_errors():
    tiny = make_tiny_scene()
    with pytest.raises(ValueError, match="OpenCV cannot match a 40x12 pair"):
        match(tiny, MatcherParams())


@functools.cache
def _textured(width, height):
    return layered_scene(width=width, height=height, background_disparity=12,
                         layers=(Layer(width // 3, height // 3, 2 * width // 3, 2 * height // 3,
                                       24),), seed=width + height)


@pytest.mark.parametrize("factor", [1, 2, 4])
@pytest.mark.parametrize("width", [320, 321, 322, 323])
@pytest.mark.parametrize("height", [240, 241, 242, 243])
def test_the_valid_window_holds_every_estimate_at_every_downsample_width_and_parity(
        factor, width, height):
    # StereoBM gives estimates only inside OpenCV's window; after downsampling, the window
    # is scaled back by the same nearest-neighbour mapping as the disparity, whatever the
    # remainder of the size divided by the factor (an odd width once left a column out).
    scene = _textured(width, height)
    for min_disparity, border in ((0, False), (8, False), (8, True)):
        params = MatcherParams(min_disparity=min_disparity, disparity_range=48,
                               downsample=factor, border_matching=border)
        window = DenseMatcher(params).valid_window(width, height)
        disparity = match(scene, params).disparity
        inside = np.zeros(disparity.shape, bool)
        inside[window.y_offset:window.y_offset + window.height,
               window.x_offset:window.x_offset + window.width] = True
        outside = np.isfinite(disparity) & ~inside
        assert not outside.any(), (min_disparity, border, window, np.argwhere(outside)[:3])
        known_columns = np.flatnonzero(np.isfinite(disparity).any(axis=0))
        known_rows = np.flatnonzero(np.isfinite(disparity).any(axis=1))
        assert (known_rows[0], known_rows[-1] + 1) == (window.y_offset,
                                                       window.y_offset + window.height)
        if not border:  # and tight: estimates begin at its left edge
            assert known_columns[0] == window.x_offset
