# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Raw images to rectified ones: the maps, their cache, binning and ROI, refused calibrations."""

import dataclasses

import cv2
import numpy as np
import pytest

from stereo_depth_node.core import rectification
from stereo_depth_node.core.camera_model import DISTORTION_MODELS, CameraModel
from stereo_depth_node.core.geometry import StereoGeometry
from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.core.rectification import INTERPOLATIONS, Rectifier
from stereo_depth_node.testing.raw_scenes import bayer_mosaic

from helpers import load_raw_motorcycle

INNER = (slice(40, -40), slice(40, -40))  # away from the borders the lens leaves black
# Motorcycle needs 270 px of search; a smaller window keeps the thin parts
MOTORCYCLE_PARAMS = MatcherParams(disparity_range=272, correlation_window_size=11)


def grey(image):
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)


def rectified_pair(raw, rectifier, colour=False):
    return [rectifier.rectify(image, "rgb8", camera, name, colour)
            for image, camera, name in ((raw.left, raw.left_camera, "left"),
                                        (raw.right, raw.right_camera, "right"))]


@pytest.mark.parametrize("model", list(DISTORTION_MODELS))
def test_rectification_is_opencvs_undistort_rectify_map_and_remap(model):
    raw = load_raw_motorcycle(model)
    camera = raw.left_camera
    matrix = np.array(camera.K).reshape(3, 3)
    rotation = np.array(camera.R).reshape(3, 3)
    projection = np.array(camera.P).reshape(3, 4)
    build = cv2.fisheye.initUndistortRectifyMap if model == "equidistant" \
        else cv2.initUndistortRectifyMap
    rectified, encoding = Rectifier().rectify(raw.left, "rgb8", camera, "left", colour=False)
    assert encoding == "mono8" and rectified.shape == (500, 741)
    # the same fixed-point maps (1/32 px) image_proc uses: the same image
    map1, map2 = build(matrix, np.array(camera.D), rotation, projection, (741, 500),
                       cv2.CV_16SC2)
    np.testing.assert_array_equal(rectified,
                                  cv2.remap(grey(raw.left), map1, map2, cv2.INTER_LINEAR))
    # and float maps: equal up to the rounding of the sub-pixel positions
    map_x, map_y = build(matrix, np.array(camera.D), rotation, projection, (741, 500),
                         cv2.CV_32FC1)
    difference = np.abs(rectified.astype(int) - cv2.remap(grey(raw.left), map_x, map_y,
                                                          cv2.INTER_LINEAR))
    assert difference.mean() < 0.3
    # and the rectified image is the scene the raw one was made from
    original = grey(raw.rectified.left)
    assert np.abs(rectified[INNER].astype(int) - original[INNER]).mean() < 4.0
    assert np.abs(grey(raw.left)[INNER].astype(int) - original[INNER]).mean() > 15.0


@pytest.mark.parametrize("model", list(DISTORTION_MODELS))
def test_disparity_of_the_raw_pair_rectified_agrees_with_the_rectified_pairs(model):
    raw = load_raw_motorcycle(model)
    processor = StereoProcessor(MOTORCYCLE_PARAMS)
    expected = processor.process(raw.rectified.left, "rgb8", raw.rectified.right, "rgb8",
                                 raw.rectified.geometry).disparity
    (left, encoding), (right, _) = rectified_pair(raw, Rectifier())
    geometry = StereoGeometry.from_calibrations(raw.left_camera.rectified_calibration(),
                                                raw.right_camera.rectified_calibration())
    disparity = processor.process(left, encoding, right, encoding, geometry).disparity
    both = np.isfinite(disparity) & np.isfinite(expected)
    assert both.mean() > 0.4
    assert (np.abs(disparity - expected)[both] <= 1.0).mean() >= 0.95  # measured 99.9 %
    # matched without rectifying, the same raw pair agrees far less
    unrectified = processor.process(raw.left, "rgb8", raw.right, "rgb8",
                                    raw.rectified.geometry).disparity
    both = np.isfinite(unrectified) & np.isfinite(expected)
    assert (np.abs(unrectified - expected)[both] <= 1.0).mean() < 0.8


def test_maps_are_built_once_per_calibration_and_again_when_it_changes():
    raw = load_raw_motorcycle("plumb_bob")
    rectifier = Rectifier()
    for _ in range(3):
        rectified_pair(raw, rectifier)
    assert rectifier.maps_built == 2
    changed = dataclasses.replace(raw.left_camera, D=(-0.1, 0.0, 0.0, 0.0, 0.0))
    first, _ = rectifier.rectify(raw.left, "rgb8", changed, "left", False)
    second, _ = rectifier.rectify(raw.left, "rgb8", raw.left_camera, "left", False)
    assert rectifier.maps_built == 3  # the old calibration's maps were kept
    assert np.abs(first.astype(int) - second).mean() > 1.0


def test_kept_maps_are_bounded_in_number_and_in_bytes(monkeypatch):
    raw = load_raw_motorcycle("plumb_bob")
    rectifier = Rectifier()
    lenses = [dataclasses.replace(raw.left_camera, D=(-0.1 - 0.01 * i, 0.0, 0.0, 0.0, 0.0))
              for i in range(6)]
    for camera in lenses:  # a new calibration every frame: the last 4 are kept
        rectifier.rectify(raw.left, "rgb8", camera, "left", False)
    one = 741 * 500 * 6  # int16 x, y and uint16 weights per pixel
    assert rectifier.maps_built == 6 and rectifier.kept_bytes == 4 * one
    rectifier.rectify(raw.left, "rgb8", lenses[2], "left", False)  # still kept
    assert rectifier.maps_built == 6
    rectifier.rectify(raw.left, "rgb8", lenses[0], "left", False)  # dropped: built again
    assert rectifier.maps_built == 7
    monkeypatch.setattr(rectification, "KEPT_MAP_BYTES", 2 * one + 1)  # room for two
    rectifier.rectify(raw.left, "rgb8", lenses[1], "left", False)
    assert rectifier.kept_bytes == 2 * one
    monkeypatch.setattr(rectification, "KEPT_MAP_BYTES", one // 2)  # not even for one
    rectifier.rectify(raw.left, "rgb8", lenses[3], "left", False)
    assert rectifier.kept_bytes == one  # the newest stays


def test_interpolation_is_image_procs_and_changes_the_result():
    raw = load_raw_motorcycle("plumb_bob")
    results = {}
    for value in INTERPOLATIONS:
        image, _ = Rectifier().rectify(raw.left, "rgb8", raw.left_camera, "left", False, value)
        results[value] = image
    assert not np.array_equal(results[0], results[1])
    assert not np.array_equal(results[1], results[2])
    np.testing.assert_array_equal(results[3], results[1])  # remap takes area as linear


def test_a_calibration_without_distortion_or_rotation_costs_only_the_conversion():
    camera = CameraModel(64, 48, (50.0, 0, 32, 0, 50.0, 24, 0, 0, 1), (0.0,) * 5,
                         (1.0, 0, 0, 0, 1.0, 0, 0, 0, 1), (50.0, 0, 32, 0, 0, 50.0, 24, 0, 0, 0,
                                                           1, 0))
    assert not camera.needs_rectification
    rectifier = Rectifier()
    image = np.arange(64 * 48, dtype=np.uint8).reshape(48, 64)
    rectified, encoding = rectifier.rectify(image, "mono8", camera, "left", False)
    assert rectified is image and encoding == "mono8" and rectifier.maps_built == 0
    assert dataclasses.replace(camera, D=()).needs_rectification is False
    scene = load_raw_motorcycle("plumb_bob").rectified
    assert not CameraModel.of_rectified_images(scene.left_calibration).needs_rectification
    assert dataclasses.replace(camera, R=(1.0, 0, 0, 0, 1.0, 0.01, 0, -0.01, 1)) \
        .needs_rectification


def test_binning_gives_the_binned_rectified_image_and_projection():
    raw = load_raw_motorcycle("plumb_bob")
    binned = dataclasses.replace(raw.left_camera, binning_x=2, binning_y=2)
    assert binned.image_size == (370, 250)
    image = cv2.resize(raw.left, (370, 250), interpolation=cv2.INTER_AREA)
    rectified, _ = Rectifier().rectify(image, "rgb8", binned, "left", False)
    assert rectified.shape == (250, 370)
    expected = cv2.resize(grey(raw.rectified.left), (370, 250), interpolation=cv2.INTER_AREA)
    assert np.abs(rectified[20:-20, 20:-20].astype(int) - expected[20:-20, 20:-20]).mean() < 4.0
    projection = binned.rectified_projection()
    full = np.array(raw.left_camera.P).reshape(3, 4)
    np.testing.assert_allclose(projection[:2], full[:2] / 2)
    calibration = binned.rectified_calibration()
    assert (calibration.width, calibration.height) == (370, 250)


def test_an_roi_is_the_whole_images_rectification_cropped_at_its_offset():
    # image_geometry's convention: K and P move by the raw ROI's offset
    raw = load_raw_motorcycle("plumb_bob")
    x, y, width, height = 200, 100, 400, 300
    camera = dataclasses.replace(raw.left_camera, roi=(x, y, width, height))
    assert camera.image_size == (width, height)
    rectified, _ = Rectifier().rectify(raw.left[y:y + height, x:x + width], "rgb8", camera,
                                       "left", False)
    whole, _ = Rectifier().rectify(raw.left, "rgb8", raw.left_camera, "left", False)
    inner = (slice(10, -30), slice(10, -30))  # where the ROI's own raw pixels reach
    np.testing.assert_array_equal(rectified[inner], whole[y:y + height, x:x + width][inner])
    full = np.array(raw.left_camera.P).reshape(3, 4)
    expected = full.copy()
    expected[0, 2] -= x
    expected[1, 2] -= y
    np.testing.assert_array_equal(camera.rectified_projection(), expected)
    np.testing.assert_array_equal(camera.raw_camera_matrix()[:2, 2],
                                  np.array(camera.K).reshape(3, 3)[:2, 2] - (x, y))


@pytest.mark.parametrize("change, message", [
    ({"K": (0.0,) * 9}, "left camera_info is uncalibrated (K is all zeros): rectify needs the "
                        "camera's calibration"),
    ({"P": (0.0,) * 12}, "left camera_info is uncalibrated (P is all zeros)"),
    ({"distortion_model": "fov"}, "distortion_model 'fov' cannot be rectified; supported: "
                                  "plumb_bob, rational_polynomial, equidistant"),
    ({"D": (0.1, 0.0)}, "left camera_info has 2 distortion coefficients; plumb_bob takes 5"),
    ({"distortion_model": "rational_polynomial", "D": (0.01,) * 9},
     "has 9 distortion coefficients; rational_polynomial takes 8"),
    ({"distortion_model": "equidistant", "D": (0.01,) * 5},
     "has 5 distortion coefficients; equidistant takes 4 (more only if zero)"),
    ({"R": (0.0,) * 9}, "left camera_info R is not a rotation"),
    ({"R": (1.0, 0, 0, 0, 1.0, 0, 0, 0, -1.0)}, "left camera_info R is not a rotation"),
    ({"P": (-900.0,) + (0.0,) * 11}, "left camera_info P has fx = -900.0"),
    ({"binning_x": 2000}, "gives an image of 0x500"),
])
def test_calibrations_that_cannot_rectify_are_refused_with_the_field(change, message):
    camera = dataclasses.replace(load_raw_motorcycle("plumb_bob").left_camera, **change)
    with pytest.raises(ValueError) as error:
        Rectifier().rectify(np.zeros((500, 741), np.uint8), "mono8", camera, "left", False)
    assert message in str(error.value)


def test_an_equidistant_d_padded_with_zeros_is_read_as_its_four_coefficients():
    camera = load_raw_motorcycle("equidistant").left_camera
    padded = dataclasses.replace(camera, D=camera.D + (0.0,))
    image = load_raw_motorcycle("equidistant").left
    np.testing.assert_array_equal(Rectifier().rectify(image, "rgb8", padded, "left", False)[0],
                                  Rectifier().rectify(image, "rgb8", camera, "left", False)[0])


def test_an_image_of_another_size_is_refused():
    camera = load_raw_motorcycle("plumb_bob").left_camera
    with pytest.raises(ValueError, match=r"right image is 640x480 but its camera_info gives "
                                         r"741x500 \(width, height, roi, binning\)"):
        Rectifier().rectify(np.zeros((480, 640), np.uint8), "mono8", camera, "right", False)


def test_colour_is_kept_when_asked_and_bayer_images_are_demosaiced_first():
    raw = load_raw_motorcycle("plumb_bob")
    rectifier = Rectifier()
    colour, encoding = rectifier.rectify(raw.left, "rgb8", raw.left_camera, "left", True)
    assert encoding == "rgb8" and colour.shape == (500, 741, 3)
    mosaic = bayer_mosaic(raw.left[:500, :740], "grbg")
    camera = dataclasses.replace(raw.left_camera, width=740)
    from_bayer, encoding = rectifier.rectify(mosaic, "bayer_grbg8", camera, "left", True)
    assert encoding == "rgb8"
    assert np.abs(from_bayer[INNER].astype(int) - colour[:, :740][INNER]).mean() < 4.0


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("field", ["K", "D", "R", "P"])
def test_non_finite_calibrations_are_refused_without_warnings(field):
    camera = load_raw_motorcycle("plumb_bob").left_camera
    values = list(getattr(camera, field))
    values[0] = float("nan") if field != "P" else float("inf")
    broken = dataclasses.replace(camera, roi=(10, 10, 700, 480), binning_x=2,
                                 **{field: tuple(values)})
    with pytest.raises(ValueError, match=f"camera_info {field} contains NaN or infinity"):
        Rectifier().rectify(np.zeros((240, 350), np.uint8), "mono8", broken, "left", False)
    if field == "P":
        with pytest.raises(ValueError, match="camera_info P contains NaN or infinity"):
            broken.rectified_calibration()
