# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest

from stereo_depth_node.core.matching import DenseMatcher, compute_disparity, create_matcher
from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.testing.metrics import evaluate
from stereo_depth_node.testing.scenes import Layer

from helpers import make_box_scene


@pytest.fixture(scope="module")
def planes():
    """A 21 px box at columns 90..209 in front of a 9 px background: interior() knows its edges."""
    return make_box_scene(seed=3, background_disparity=9, box=Layer(90, 60, 210, 180, 21))


def interior(scene, margin=20):
    """Known pixels away from borders and depth edges, where every matcher must be exact."""
    truth = scene.ground_truth.copy()
    near_edge = np.zeros_like(truth, dtype=bool)
    for layer_edge in (89, 90, 209, 210):
        near_edge[:, max(layer_edge - margin, 0):layer_edge + margin] = True
    near_edge[50:70, :] = near_edge[170:190, :] = True
    truth[near_edge] = np.nan
    truth[:, :80] = np.nan  # left band without a full search range
    truth[:10, :] = truth[-10:, :] = truth[:, -10:] = np.nan  # no full block at the borders
    return truth


@pytest.mark.parametrize("params", [
    MatcherParams(disparity_range=32, correlation_window_size=9),
    *[MatcherParams(stereo_algorithm=1, sgbm_mode=mode, disparity_range=32,
                    correlation_window_size=5) for mode in range(4)],
], ids=["bm", "sgbm", "sgbm_hh", "sgbm_3way", "sgbm_hh4"])
def test_textured_planes_give_their_known_disparities(planes, params):
    disparity = compute_disparity(create_matcher(params), planes.left, planes.right)
    truth = interior(planes)
    accuracy = evaluate(disparity, truth, threshold=0.5)
    assert accuracy.density > 99.0
    assert accuracy.bad < 1.0
    background = disparity[100:140, 240:300]
    foreground = disparity[100:140, 130:170]
    assert np.nanmedian(background) == pytest.approx(9.0, abs=0.1)
    assert np.nanmedian(foreground) == pytest.approx(21.0, abs=0.1)


def test_min_disparity_shifts_the_search(planes):
    # Searching 16..47 still finds the 21 px plane; the 9 px background is out of range.
    params = MatcherParams(min_disparity=16, disparity_range=32, correlation_window_size=9)
    disparity = compute_disparity(create_matcher(params), planes.left, planes.right)
    assert np.nanmedian(disparity[100:140, 130:170]) == pytest.approx(21.0, abs=0.1)
    background = disparity[100:140, 240:300]
    assert np.mean(np.abs(background - 9.0) < 1.0) == 0.0


def test_unknown_pixels_are_nan(planes):
    params = MatcherParams(disparity_range=32, correlation_window_size=9)
    disparity = compute_disparity(create_matcher(params), planes.left, planes.right)
    window = DenseMatcher(params).valid_window(320, 240)
    # Left of the valid window the matcher has no full search range: no estimate at all.
    assert np.isnan(disparity[:, : window.x_offset - 5]).all()
    assert disparity.dtype == np.float32


def test_valid_window_matches_opencv_geometry():
    window = DenseMatcher(MatcherParams()).valid_window(640, 480)
    # min 0 + range 64 + half block 7 - 1 = 70; the block's half height is 7.
    assert (window.x_offset, window.y_offset) == (70, 7)
    assert window.x_offset + window.width <= 640 - 7
    assert window.y_offset + window.height == 480 - 7


def test_mismatched_images_are_rejected():
    matcher = create_matcher(MatcherParams())
    with pytest.raises(ValueError, match="left image is"):
        compute_disparity(matcher, np.zeros((10, 20), np.uint8), np.zeros((10, 21), np.uint8))
    with pytest.raises(ValueError, match="grey uint8"):
        compute_disparity(matcher, np.zeros((10, 20, 3), np.uint8), np.zeros((10, 20, 3), np.uint8))


@pytest.mark.parametrize("params, max_bad", [
    (MatcherParams(), 30.0),  # stereo_image_proc defaults (BM)
    (MatcherParams(stereo_algorithm=1), 23.0),
])
def test_motorcycle_accuracy(params, max_bad, motorcycle_scene):
    scene = motorcycle_scene
    grey = [np.dot(image[..., :3], [0.299, 0.587, 0.114]).round().astype(np.uint8)
            for image in (scene.left, scene.right)]
    disparity = compute_disparity(create_matcher(params), *grey)
    accuracy = evaluate(disparity, scene.ground_truth, threshold=2.0)
    assert accuracy.bad < max_bad
    assert accuracy.bad_kept < 8.0
    assert accuracy.density > 75.0


@pytest.mark.parametrize("algorithm", [0, 1])
def test_every_parameter_reaches_the_opencv_matcher(algorithm):
    params = MatcherParams(stereo_algorithm=algorithm, prefilter_size=11, prefilter_cap=40,
                           correlation_window_size=7, min_disparity=-16, disparity_range=96,
                           texture_threshold=20, speckle_size=150, speckle_range=3,
                           disp12_max_diff=2, sgbm_mode=2, uniqueness_ratio=12.0, P1=300.0,
                           P2=900.0)
    matcher = create_matcher(params)
    assert (matcher.getMinDisparity(), matcher.getNumDisparities(), matcher.getBlockSize(),
            matcher.getSpeckleWindowSize(), matcher.getSpeckleRange(),
            matcher.getDisp12MaxDiff()) == (-16, 96, 7, 150, 3, 2)
    assert (matcher.getPreFilterCap(), matcher.getUniquenessRatio()) == (40, 12)
    if algorithm == 0:
        assert (matcher.getPreFilterSize(), matcher.getTextureThreshold()) == (11, 20)
    else:
        assert (matcher.getP1(), matcher.getP2(), matcher.getMode()) == (300, 900, 2)
    # stereo_image_proc's 0 turns the left-right check off, which OpenCV spells -1
    assert create_matcher(params.replace(disp12_max_diff=0)).getDisp12MaxDiff() == -1
