# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The census matcher on scenes with known disparity, its confidence, and the hole filling."""

import subprocess
import sys

import cv2
import numpy as np
import pytest

from stereo_depth_node.core.matching import DenseMatcher
from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.core.refinement import fill_holes
from stereo_depth_node.testing.scenes import Layer, layered_scene, slanted_scene

CENSUS = MatcherParams(stereo_algorithm=2, P1=8.0, P2=96.0, uniqueness_ratio=0.0,
                       speckle_range=2)
SEARCH_BAND = slice(64, None)  # columns with the whole search range in the right image


@pytest.fixture(scope="module")
def box():
    """A textured box at 20 px before a textured background at 10 px, 320 x 240."""
    return layered_scene(320, 240, background_disparity=10,
                         layers=(Layer(100, 60, 220, 180, 20),), seed=5)


def disparity(scene, params, right=None):
    frame = StereoProcessor(params).process(scene.left, "mono8",
                                            scene.right if right is None else right, "mono8",
                                            scene.geometry)
    return frame.matcher_disparity()


def share_within(estimate, truth, tolerance):
    """Of the pixels with known truth right of the border band, the share within tolerance."""
    known = np.isfinite(truth)
    known[:, :SEARCH_BAND.start] = False
    return float((np.abs(estimate - truth) <= tolerance)[known].mean())


def test_textured_planes_within_half_a_pixel(box):
    assert share_within(disparity(box, CENSUS), box.ground_truth, 0.5) >= 0.99  # 99.8 %
    slanted = slanted_scene(320, 240, 6.0, 30.0, seed=2)  # sub-pixel disparities
    assert share_within(disparity(slanted, CENSUS), slanted.ground_truth, 0.5) >= 0.99


def sad_winner_take_all(left, right, count=64, window=7):
    """The textbook block matcher: sum of absolute differences over a box, lowest wins."""
    costs = np.stack([cv2.boxFilter(np.abs(left.astype(np.float32) - np.roll(right, d, axis=1)),
                                    -1, (window, window)) for d in range(count)])
    return costs.argmin(axis=0).astype(np.float32)


def test_an_exposure_change_breaks_sad_costs_but_not_census(box):
    # The right camera darker and with another gamma: each grey level maps to another, in
    # order. Sums of differences see every pixel change; census sees which neighbours are
    # darker, which does not change.
    relit = (255 * (box.right / 255.0) ** 1.8 * 0.8).astype(np.uint8)
    truth = box.ground_truth
    assert share_within(sad_winner_take_all(box.left, box.right), truth, 0.5) >= 0.9
    assert share_within(sad_winner_take_all(box.left, relit), truth, 0.5) < 0.5
    same = share_within(disparity(box, CENSUS), truth, 0.5)
    changed = share_within(disparity(box, CENSUS, relit), truth, 0.5)
    assert changed >= 0.99 and abs(changed - same) <= 0.005


def test_the_right_view_comes_from_the_same_costs(box):
    pair = DenseMatcher(CENSUS).match(box.left, box.right, want_right=True)
    # each right pixel of the box (columns 80..199 in the right image) maps to 20 px
    assert np.median(pair.right[80:160, 100:180]) == 20.0
    assert np.median(pair.right[80:160, 230:300]) == 10.0
    assert pair.peak_ratio is not None and pair.peak_ratio.dtype == np.float32
    assert ((pair.peak_ratio >= 0) & (pair.peak_ratio <= 1)).all()


def test_confidence_ranks_right_estimates_above_wrong_ones(motorcycle_scene):
    scene = motorcycle_scene
    frame = StereoProcessor(CENSUS.replace(lr_check_max_diff=1.0)).process(
        scene.left, "rgb8", scene.right, "rgb8", scene.geometry, outputs=("confidence",))
    estimate, truth = frame.matcher_disparity(), scene.ground_truth
    both = np.isfinite(estimate) & np.isfinite(truth)
    right = both & (np.abs(estimate - truth) <= 2.0)
    wrong = both & (np.abs(estimate - truth) > 2.0)
    confidence = frame.confidence
    assert np.median(confidence[right]) > 2 * np.median(confidence[wrong])
    # keeping the more confident half of the estimates leaves far fewer wrong ones
    keep = confidence >= np.median(confidence[both])
    assert wrong[keep].sum() / both[keep].sum() < 0.5 * wrong.sum() / both.sum()


def test_a_filled_hole_is_never_nearer_than_both_of_its_row_neighbours():
    rng = np.random.default_rng(3)
    for _ in range(20):
        surfaces = rng.uniform(2.0, 60.0, (40, 60)).astype(np.float32)
        surfaces = cv2.resize(cv2.resize(surfaces, (6, 4), interpolation=cv2.INTER_NEAREST),
                              (60, 40), interpolation=cv2.INTER_NEAREST)  # blocky surfaces
        holes = rng.random((40, 60)) < rng.uniform(0.1, 0.6)
        estimate = np.where(holes, np.nan, surfaces).astype(np.float32)
        filled = fill_holes(estimate)
        for y, x in zip(*np.nonzero(holes)):
            row = estimate[y]
            left = row[:x][np.isfinite(row[:x])]
            right = row[x + 1:][np.isfinite(row[x + 1:])]
            sides = [side for side in (left[-1:], right[:1]) if side.size]
            if sides:
                assert filled[y, x] <= max(float(side[0]) for side in sides) + 1e-4
        known = ~holes
        assert np.isfinite(filled[known.any(axis=1)]).all()  # rows with an estimate: all filled


def test_numba_is_loaded_only_with_the_census_matcher():
    code = ("import sys; from stereo_depth_node.core import StereoProcessor, MatcherParams; "
            "StereoProcessor(MatcherParams(stereo_algorithm=1)); "
            "print('numba' in sys.modules); "
            "StereoProcessor(MatcherParams(stereo_algorithm=2)); print('numba' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.split() == ["False", "True"], result.stderr
