# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest

from stereo_depth_node.offline.ply import write_ply
from stereo_depth_node.testing.metrics import evaluate


def test_ply_has_header_and_only_finite_points(tmp_path):
    points = np.array([[[0.0, 1.0, 2.0], [np.nan, np.nan, np.nan], [3.0, 4.0, 5.0]]], np.float32)
    rgb = np.array([[[1, 2, 3], [4, 5, 6], [7, 8, 9]]], np.uint8)
    assert write_ply(tmp_path / "c.ply", points, rgb) == 2
    data = (tmp_path / "c.ply").read_bytes()
    header, body = data.split(b"end_header\n")
    assert b"format binary_little_endian 1.0" in header
    assert b"element vertex 2" in header
    assert len(body) == 2 * 15
    vertex = np.frombuffer(body, dtype=[("xyz", "<f4", 3), ("rgb", "u1", 3)])
    np.testing.assert_array_equal(vertex["xyz"], [[0, 1, 2], [3, 4, 5]])
    np.testing.assert_array_equal(vertex["rgb"], [[1, 2, 3], [7, 8, 9]])


def test_bad_pixel_rates_by_hand():
    truth = np.array([[10.0, 10.0, 10.0, 10.0, np.nan]])
    estimate = np.array([[10.5, 13.0, np.nan, 10.0, 99.0]])
    accuracy = evaluate(estimate, truth, threshold=2.0)
    assert accuracy.bad == pytest.approx(50.0)  # one wrong, one hole, of four known
    assert accuracy.bad_kept == pytest.approx(100 / 3)
    assert accuracy.density == pytest.approx(75.0)
    assert accuracy.mean_abs_error == pytest.approx((0.5 + 3.0 + 0.0) / 3)


def test_ply_without_colours_has_only_coordinates(tmp_path):
    points = np.array([[[0.0, 1.0, 2.0], [np.inf, 0.0, 1.0]]], np.float32)
    assert write_ply(tmp_path / "c.ply", points, None) == 1
    header, body = (tmp_path / "c.ply").read_bytes().split(b"end_header\n")
    assert header.endswith(b"property float x\nproperty float y\nproperty float z\n")
    assert b"red" not in header
    np.testing.assert_array_equal(np.frombuffer(body, "<f4"), [0.0, 1.0, 2.0])
