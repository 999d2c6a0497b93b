# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""``stereo-depth compute``: the tutorial's workflow on files, checked by reading the files back."""

import re
import sys

import cv2
import numpy as np
import pytest

from stereo_depth_node.cli import main
from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.offline.pfm import read_pfm, write_pfm
from stereo_depth_node.testing.scenes import (
    MOTORCYCLE_BASELINE_M,
    MOTORCYCLE_CX_LEFT_PX,
    MOTORCYCLE_CY_PX,
    MOTORCYCLE_DOFFS_PX,
    MOTORCYCLE_FOCAL_PX,
    Layer,
    layered_scene,
)

from helpers import run_cli


@pytest.fixture(scope="module")
def motorcycle_files(tmp_path_factory, motorcycle_scene):
    folder = tmp_path_factory.mktemp("motorcycle")
    scene = motorcycle_scene
    cv2.imwrite(str(folder / "im0.png"), cv2.cvtColor(scene.left, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(folder / "im1.png"), cv2.cvtColor(scene.right, cv2.COLOR_RGB2BGR))
    f, cx, cy = MOTORCYCLE_FOCAL_PX, MOTORCYCLE_CX_LEFT_PX, MOTORCYCLE_CY_PX
    (folder / "calib.txt").write_text(
        f"cam0=[{f} 0 {cx}; 0 {f} {cy}; 0 0 1]\n"
        f"cam1=[{f} 0 {cx + MOTORCYCLE_DOFFS_PX}; 0 {f} {cy}; 0 0 1]\n"
        f"doffs={MOTORCYCLE_DOFFS_PX}\nbaseline={MOTORCYCLE_BASELINE_M * 1000}\n"
        "width=741\nheight=500\nndisp=70\n")
    return folder, scene


def read_ply(path):
    header, body = path.read_bytes().split(b"end_header\n")
    count = int(re.search(rb"element vertex (\d+)", header)[1])
    vertices = np.frombuffer(body, dtype=[("xyz", "<f4", 3), ("rgb", "u1", 3)])
    assert len(vertices) == count
    return header, vertices


def test_compute_with_middlebury_calibration(motorcycle_files, tmp_path, capsys):
    folder, scene = motorcycle_files
    out = tmp_path / "out"
    assert main(["compute", str(folder / "im0.png"), str(folder / "im1.png"), "--out", str(out),
                 "--calib", str(folder / "calib.txt"), "--algorithm", "sgbm",
                 "--block-size", "5"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "cloud.ply", "confidence.pfm", "depth.pfm", "depth.png", "disparity.pfm",
        "disparity.png"]
    params = MatcherParams(stereo_algorithm=1, correlation_window_size=5)
    expected = StereoProcessor(params).process(
        cv2.cvtColor(scene.left, cv2.COLOR_RGB2BGR), "bgr8",
        cv2.cvtColor(scene.right, cv2.COLOR_RGB2BGR), "bgr8", scene.geometry, ("points2",))
    # disparity.pfm: x_l - x_r (Middlebury convention), inf where there is no estimate
    disparity = read_pfm(out / "disparity.pfm")
    matcher_units = expected.matcher_disparity()
    np.testing.assert_array_equal(np.isinf(disparity), np.isnan(matcher_units))
    known = np.isfinite(disparity)
    np.testing.assert_allclose(disparity[known], matcher_units[known], atol=1e-5)
    # comparable with Middlebury's ground truth as it is
    truth = scene.ground_truth
    both = known & np.isfinite(truth)
    assert np.median(np.abs(disparity[both] - truth[both])) < 0.5
    # depth.pfm: Z = f * baseline / (d + doffs), metres
    depth = read_pfm(out / "depth.pfm")
    np.testing.assert_allclose(
        depth[known],
        MOTORCYCLE_FOCAL_PX * MOTORCYCLE_BASELINE_M / (disparity[known] + MOTORCYCLE_DOFFS_PX),
        rtol=1e-5)
    assert np.isinf(depth[~known]).all()
    header, vertices = read_ply(out / "cloud.ply")
    assert b"format binary_little_endian 1.0" in header
    assert b"property uchar red" in header
    assert len(vertices) == int(np.isfinite(expected.depth).sum())
    np.testing.assert_allclose(np.sort(vertices["xyz"][:, 2]), np.sort(depth[known]), rtol=1e-6)
    for name in ("disparity.png", "depth.png"):
        assert cv2.imread(str(out / name)).shape == (500, 741, 3)
    confidence = read_pfm(out / "confidence.pfm")
    assert (confidence[~known] == 0).all() and np.median(confidence[known]) > 0.5
    assert "wrote" in capsys.readouterr().out


def test_tutorial_parameters_on_a_scene_with_known_disparities(tmp_path):
    scene = layered_scene(width=384, height=288, background_disparity=5,
                          layers=(Layer(120, 80, 280, 220, 12),), seed=9)
    cv2.imwrite(str(tmp_path / "l.png"), scene.left)
    cv2.imwrite(str(tmp_path / "r.png"), scene.right)
    # the tutorial: StereoBM, numDisparities=16, blockSize=15, no calibration
    assert main(["compute", str(tmp_path / "l.png"), str(tmp_path / "r.png"), "--out",
                 str(tmp_path / "out"), "--algorithm", "bm", "--num-disparities", "16",
                 "--block-size", "15"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "confidence.pfm", "disparity.pfm", "disparity.png"]
    disparity = read_pfm(tmp_path / "out" / "disparity.pfm")
    assert disparity.shape == (288, 384)
    assert np.median(disparity[120:180, 160:240]) == pytest.approx(12.0, abs=1 / 16)
    assert np.median(disparity[120:180, 320:370]) == pytest.approx(5.0, abs=1 / 16)
    assert np.isinf(disparity[:, :20]).all()  # no search range at the left border
    picture = cv2.imread(str(tmp_path / "out" / "disparity.png"))
    assert picture.shape == (288, 384, 3) and picture[:, :20].max() == 0


def test_tutorial_command_reproduces_opencvs_stereobm_exactly(tmp_path, motorcycle_files):
    _, scene = motorcycle_files
    left, right = (cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) for image in (scene.left, scene.right))
    cv2.imwrite(str(tmp_path / "l.png"), left)
    cv2.imwrite(str(tmp_path / "r.png"), right)
    tutorial = cv2.StereoBM.create(numDisparities=16, blockSize=15).compute(left, right)
    # stereo_image_proc's defaults add a speckle filter that StereoBM.create leaves off
    assert main(["compute", str(tmp_path / "l.png"), str(tmp_path / "r.png"), "--out",
                 str(tmp_path / "out"), "--algorithm", "bm", "--num-disparities", "16",
                 "--block-size", "15", "--speckle-size", "0"]) == 0
    expected = np.where(tutorial >= 0, tutorial / 16.0, np.inf).astype(np.float32)
    np.testing.assert_array_equal(read_pfm(tmp_path / "out" / "disparity.pfm"), expected)


def test_focal_and_baseline_options_and_params_file(tmp_path, motorcycle_files):
    folder, _ = motorcycle_files
    params = tmp_path / "p.yaml"
    params.write_text("/**:\n  ros__parameters:\n    stereo_algorithm: 1\n"
                      "    correlation_window_size: 7\n    P1: 300.0\n    P2: 1200.0\n")
    out = tmp_path / "out"
    assert main(["compute", str(folder / "im0.png"), str(folder / "im1.png"), "--out", str(out),
                 "--params", str(params), "--focal", "1000", "--baseline", "0.2",
                 "--doffs", "31", "--set", "uniqueness_ratio=5"]) == 0
    disparity, depth = read_pfm(out / "disparity.pfm"), read_pfm(out / "depth.pfm")
    known = np.isfinite(disparity)
    np.testing.assert_allclose(depth[known], 1000 * 0.2 / (disparity[known] + 31), rtol=1e-5)


def test_rerun_without_calibration_leaves_no_stale_depth(tmp_path, motorcycle_files):
    folder, _ = motorcycle_files
    images = [str(folder / "im0.png"), str(folder / "im1.png")]
    out = tmp_path / "out"
    assert main(["compute", *images, "--out", str(out), "--calib", str(folder / "calib.txt")]) == 0
    (out / "notes.txt").write_text("mine")
    assert main(["compute", *images, "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "confidence.pfm", "disparity.pfm", "disparity.png", "notes.txt"]


def test_camera_info_yaml_pair(tmp_path, motorcycle_files):
    folder, scene = motorcycle_files
    for side, calibration in (("left", scene.left_calibration),
                              ("right", scene.right_calibration)):
        p = ", ".join(str(v) for v in calibration.P.flatten())
        (tmp_path / f"{side}.yaml").write_text(
            f"image_width: 741\nimage_height: 500\ncamera_name: {side}\n"
            f"camera_matrix: {{rows: 3, cols: 3, data: [1, 0, 0, 0, 1, 0, 0, 0, 1]}}\n"
            f"projection_matrix: {{rows: 3, cols: 4, data: [{p}]}}\n")
    out = tmp_path / "out"
    assert main(["compute", str(folder / "im0.png"), str(folder / "im1.png"), "--out", str(out),
                 "--calib", str(tmp_path / "left.yaml"), str(tmp_path / "right.yaml")]) == 0
    disparity, depth = read_pfm(out / "disparity.pfm"), read_pfm(out / "depth.pfm")
    known = np.isfinite(disparity)
    np.testing.assert_allclose(
        depth[known],
        MOTORCYCLE_FOCAL_PX * MOTORCYCLE_BASELINE_M / (disparity[known] + MOTORCYCLE_DOFFS_PX),
        rtol=1e-5)


@pytest.mark.parametrize("make_args, message", [
    (lambda f, t: ["compute", f / "im0.png", t / "small.png"],
     "im0.png is 741x500 but .*small.png is 100x80"),
    (lambda f, t: ["compute", f / "im0.png", t / "missing.png"], "missing.png: no such file"),
    (lambda f, t: ["compute", f / "im0.png", t / "text.png"],
     "not an image format OpenCV decodes"),
    (lambda f, t: ["compute", f / "im0.png", f / "im1.png", "--block-size", "4"],
     r"parameter 'correlation_window_size' = 4 is not allowed: 5..255, odd"),
    (lambda f, t: ["compute", f / "im0.png", f / "im1.png", "--focal", "1000"],
     "--focal and --baseline go together"),
    (lambda f, t: ["compute", f / "im0.png", f / "im1.png", "--set", "disparty_range=128"],
     r"unknown parameter 'disparty_range' \(did you mean 'disparity_range'\?\)"),
    (lambda f, t: ["compute", f / "im0.png", f / "im1.png", "--set", "queue_size=2.7"],
     r"parameter 'queue_size' = 2.7 must be an integer in 1..1000"),
    (lambda f, t: ["compute", f / "im0.png", f / "im1.png", "--calib", t / "small_calib.txt"],
     "the calibration is for 100x80 but the images are 741x500"),
])
def test_errors_are_one_line_and_write_nothing(motorcycle_files, tmp_path, make_args, message):
    folder, _ = motorcycle_files
    cv2.imwrite(str(tmp_path / "small.png"), np.zeros((80, 100), np.uint8))
    (tmp_path / "text.png").write_text("not a picture")
    (tmp_path / "small_calib.txt").write_text(
        "cam0=[100 0 50; 0 100 40; 0 0 1]\ncam1=[100 0 50; 0 100 40; 0 0 1]\n"
        "baseline=100\nwidth=100\nheight=80\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier result")
    result = run_cli(*make_args(folder, tmp_path), "--out", out)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stereo-depth compute: error: ")
    assert re.search(message, lines[0])
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == []


def test_an_output_path_that_is_a_file_is_one_line_error(motorcycle_files, tmp_path):
    folder, _ = motorcycle_files
    taken = tmp_path / "taken"
    taken.write_text("a file, not a folder")
    result = run_cli("compute", folder / "im0.png", folder / "im1.png", "--out", taken)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"stereo-depth compute: error: cannot write {taken}: File exists"]
    assert taken.read_text() == "a file, not a folder"


def test_an_8_bit_colour_and_a_16_bit_grey_file_are_matched_in_grey(motorcycle_files, tmp_path):
    folder, scene = motorcycle_files
    grey = [cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) for image in (scene.left, scene.right)]
    cv2.imwrite(str(tmp_path / "left.png"), grey[0])
    cv2.imwrite(str(tmp_path / "right.png"), grey[1])
    cv2.imwrite(str(tmp_path / "right16.png"), grey[1].astype(np.uint16) * 257)
    assert main(["compute", str(folder / "im0.png"), str(tmp_path / "right16.png"),
                 "--out", str(tmp_path / "mixed")]) == 0
    assert main(["compute", str(tmp_path / "left.png"), str(tmp_path / "right.png"),
                 "--out", str(tmp_path / "grey")]) == 0
    mixed = read_pfm(tmp_path / "mixed" / "disparity.pfm")
    np.testing.assert_array_equal(mixed, read_pfm(tmp_path / "grey" / "disparity.pfm"))
    assert np.isfinite(mixed).mean() > 0.7


def test_show_without_display_says_so_and_still_writes(motorcycle_files, tmp_path, monkeypatch,
                                                       capsys):
    folder, _ = motorcycle_files
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["compute", str(folder / "im0.png"), str(folder / "im1.png"), "--out",
                 str(tmp_path / "out"), "--show"]) == 0
    assert "no display here" in capsys.readouterr().out
    assert (tmp_path / "out" / "disparity.pfm").is_file()


def test_pfm_round_trip_keeps_orientation_and_infinity(tmp_path):
    image = np.array([[1.0, np.inf], [3.5, -2.0], [0.0, 7.0]], np.float32)
    write_pfm(tmp_path / "x.pfm", image)
    data = (tmp_path / "x.pfm").read_bytes()
    assert data.startswith(b"Pf\n2 3\n-1\n")
    assert np.frombuffer(data[-8:], "<f4").tolist() == [1.0, np.inf]  # top row stored last
    np.testing.assert_array_equal(read_pfm(tmp_path / "x.pfm"), image)
    # OpenCV reads it the same way
    np.testing.assert_array_equal(cv2.imread(str(tmp_path / "x.pfm"), cv2.IMREAD_UNCHANGED),
                                  image)


@pytest.mark.ros  # imports the ros layer (rclpy) up to the missing rosbags
def test_bag_commands_without_rosbags_say_what_to_install(tmp_path, monkeypatch, capsys):
    for name in ["rosbags", *(n for n in sys.modules if n.startswith("rosbags."))]:
        monkeypatch.setitem(sys.modules, name, None)  # imports fail as if not installed
    for name in [n for n in sys.modules if n.startswith("stereo_depth_node.ros.bag_")]:
        monkeypatch.delitem(sys.modules, name)
    assert main(["process", str(tmp_path / "in"), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.strip() == (
        "stereo-depth process: error: bag files are read and written with the 'rosbags' "
        "package, which is not installed: pip install rosbags (in a ROS workspace: rosdep key "
        "python3-rosbags-pip)")
