# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
import re

import numpy as np
import pytest

from stereo_depth_node.core.geometry import CalibrationError, CameraCalibration, StereoGeometry


def calibrations(fx=500.0, fy=510.0, cx=320.0, cy=240.0, cx_right=None, baseline=0.12,
                 size=(640, 480), right_size=None, right_fx=None, right_fy=None, right_cy=None,
                 right_ty=0.0):
    cx_right = cx if cx_right is None else cx_right
    right_fx = fx if right_fx is None else right_fx
    right_fy = fy if right_fy is None else right_fy
    right_cy = cy if right_cy is None else right_cy
    left = CameraCalibration(*size, np.array([[fx, 0, cx, 0], [0, fy, cy, 0], [0, 0, 1, 0]]),
                             "left_optical")
    right = CameraCalibration(*(right_size or size),
                              np.array([[right_fx, 0, cx_right, -right_fx * baseline],
                                        [0, right_fy, right_cy, -right_fy * right_ty],
                                        [0, 0, 1, 0]]), "right_optical")
    return left, right


def test_geometry_from_projection_matrices():
    geometry = StereoGeometry.from_calibrations(*calibrations())
    assert geometry.fx == 500.0 and geometry.fy == 510.0
    assert geometry.cx == 320.0 and geometry.cy == 240.0
    assert geometry.baseline == pytest.approx(0.12)  # T = -P_right[0,3] / fx_right
    assert geometry.frame_id == "left_optical"  # outputs are in the left frame
    assert geometry.cx_offset == 0.0


def test_depth_is_f_t_over_d_by_hand():
    geometry = StereoGeometry.from_calibrations(*calibrations())
    disparity = np.array([[60.0, 30.0, 0.0, -2.0, np.nan]], np.float32)
    depth = geometry.depth_from_disparity(disparity)
    # 500 px * 0.12 m / 60 px = 1 m; / 30 px = 2 m; d <= 0 or unknown -> NaN
    np.testing.assert_allclose(depth[0, :2], [1.0, 2.0], rtol=1e-6)
    assert np.isnan(depth[0, 2:]).all()
    assert depth.dtype == np.float32


def test_points_by_hand():
    geometry = StereoGeometry.from_calibrations(*calibrations(cx=1.0, cy=0.5, fx=2.0, fy=4.0))
    depth = np.array([[2.0, 4.0, np.nan], [1.0, 1.0, 1.0]], np.float32)
    points = geometry.points_from_depth(depth)
    assert points.shape == (2, 3, 3) and points.dtype == np.float32
    # u=0,v=0,Z=2: x=(0-1)*2/2=-1, y=(0-0.5)*2/4=-0.25
    np.testing.assert_allclose(points[0, 0], [-1.0, -0.25, 2.0])
    np.testing.assert_allclose(points[0, 1], [0.0, -0.5, 4.0])
    assert np.isnan(points[0, 2]).all()
    np.testing.assert_allclose(points[1, 2], [0.5, 0.125, 1.0])


def test_verged_rig_offset_applied_once():
    # cx_l - cx_r = 300 - 330 = -30 px: a point matched at x_l - x_r = 20 px has d = 50 px.
    left, right = calibrations(cx=300.0, cx_right=330.0, fx=500.0, baseline=0.1)
    geometry = StereoGeometry.from_calibrations(left, right)
    assert geometry.cx_offset == -30.0
    published = geometry.published_disparity(np.array([[20.0, np.nan]], np.float32))
    np.testing.assert_allclose(published[0, 0], 50.0)
    assert np.isnan(published[0, 1])
    depth = geometry.depth_from_disparity(published)
    assert depth[0, 0] == pytest.approx(500 * 0.1 / 50)  # 1.0 m, not 500*0.1/20
    points = geometry.points_from_depth(depth)
    assert points[0, 0, 2] == pytest.approx(1.0)
    assert points[0, 0, 0] == pytest.approx((0 - 300.0) * 1.0 / 500.0)


def test_different_right_frame_id_is_accepted():
    left, right = calibrations()
    assert left.frame_id != right.frame_id
    StereoGeometry.from_calibrations(left, right)


@pytest.mark.parametrize("kwargs, message", [
    ({"right_size": (320, 240)}, "left camera_info is 640x480 but right is 320x240"),
    ({"size": (0, 0)}, "size 0x0 must be positive"),
    ({"cx": 1e39}, r"left P\[0,2\] \(cx\) = 1e\+39 px is beyond what a float32 disparity"),
    ({"cx_right": -1e7}, r"right P\[0,2\] \(cx\) = -1e\+07 px is beyond"),
])
def test_pairs_without_a_common_size_are_rejected_clearly(kwargs, message):
    with pytest.raises(ValueError, match=message):
        StereoGeometry.from_calibrations(*calibrations(**kwargs))


@pytest.mark.parametrize("kwargs, message", [
    ({"fx": 0.0, "right_fx": 500.0}, r"left P\[0,0\] \(fx\) = 0.0 must be positive"),
    ({"fy": -1.0}, r"left P\[1,1\] \(fy\) = -1.0 must be positive"),
    ({"right_fx": 0.0}, r"right P\[0,0\] \(fx\) = 0.0 must be positive"),
    ({"right_fy": 0.0}, r"right P\[1,1\] \(fy\) = 0.0 must be positive"),
    ({"right_fy": -510.0}, r"right P\[1,1\] \(fy\) = -510.0 must be positive"),
    ({"baseline": -0.12}, r"right P\[0,3\] = 60.0 gives baseline .* must be positive"),
    ({"baseline": 0.0}, "baseline .* must be positive"),
    ({"right_fx": 505.0}, r"left and right P\[0,0\] \(fx\) are 500.0 and 505.0; a rectified "
                          r"pair has equal fx \(within 0.001 of the focal length\)"),
    ({"right_fy": 512.0}, r"left and right P\[1,1\] \(fy\) are 510.0 and 512.0"),
    ({"right_cy": 241.0}, r"left and right P\[1,2\] \(cy\) are 240.0 and 241.0"),
    ({"right_ty": 0.01}, r"right P\[1,3\] = -5.1\d*: the right camera is offset vertically; "
                         r"rectified stereo needs a horizontal rig"),
    ({"fx": 1e39, "right_fx": 1e39}, r"left P\[0,0\] \(fx\) = 1e\+39 px is beyond what "
                                     r"float32 depth can hold"),
    ({"fx": 1e-39, "right_fx": 1e-39, "fy": 1e-39},
     r"left P\[0,0\] \(fx\) = 1e-39 px is beyond what float32 depth can hold"),
    ({"cy": 1e39, "right_cy": 1e39}, r"left P\[1,2\] \(cy\) = 1e\+39 px is beyond what "
                                     r"float32 points can hold"),
    ({"fx": 1e30, "right_fx": 1e30, "fy": 1e30, "baseline": 1e9},
     r"fx \* T = 1e\+39 px m is beyond what float32 depth can hold at 1/16 px disparity"),
])
def test_calibrations_without_metric_depth_are_refused_clearly(kwargs, message):
    # The disparity needs no calibration (stereo_image_proc publishes it anyway); depth and
    # points refuse the geometry with the reason.
    geometry = StereoGeometry.from_calibrations(*calibrations(**kwargs))
    assert re.search(message, geometry.depth_refusal)
    disparity = np.full((480, 640), 20.0, np.float32)
    with pytest.raises(CalibrationError, match=message):
        geometry.depth_from_disparity(disparity)
    with pytest.raises(CalibrationError, match=message):
        geometry.points_from_depth(disparity)
    np.testing.assert_array_equal(geometry.published_disparity(disparity),
                                  disparity - np.float32(geometry.cx_offset))


def test_small_differences_within_the_tolerance_are_accepted():
    # fx and fy within 0.1 % and cy within 0.1 % of fy: rounding in a driver's camera_info.
    left, right = calibrations(right_fx=500.4, right_fy=510.4, right_cy=240.4, right_ty=1e-5)
    assert StereoGeometry.from_calibrations(left, right).depth_refusal is None




def test_projection_matrix_is_validated():
    with pytest.raises(ValueError, match="must have 12 values, got 9"):
        CameraCalibration(4, 4, np.eye(3))
    with pytest.raises(ValueError, match="NaN or infinity"):
        CameraCalibration(4, 4, np.full((3, 4), np.nan))
