"""The quick start's demo, run as a user runs it."""

import os
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest

pytestmark = pytest.mark.ros  # the demo runs the node and streams to it over DDS


def test_demo_writes_outputs_and_reports_accuracy(tmp_path):
    out = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "stereo_depth_node.demo", "--out", str(out), "--frames", "3",
         "--domain-id", str(40 + os.getpid() % 20)],
        capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(re.findall(r"frame +\d: latency disparity +[\d.]+ ms", result.stdout)) == 3
    bad = float(re.search(r"bad-2.0 ([\d.]+) % \(holes counted as bad\)", result.stdout)[1])
    density = float(re.search(r"density ([\d.]+) %", result.stdout)[1])
    # stereo_image_proc's BM defaults on Motorcycle: the core's figures (test_matcher)
    assert 20.0 < bad < 30.0 and 75.0 < density < 80.0
    for name in ("disparity.png", "depth.png"):
        picture = cv2.imread(str(out / name))
        assert picture.shape == (500, 741, 3)
        assert picture[:, :60].max() == 0  # the left band without estimates is black
    header, body = (out / "cloud.ply").read_bytes().split(b"end_header\n")
    count = int(re.search(rb"element vertex (\d+)", header)[1])
    assert len(body) == 15 * count
    assert count == int(re.search(r"cloud.ply \((\d+) points\)", result.stdout)[1])
    z = np.frombuffer(body, dtype=[("xyz", "<f4", 3), ("rgb", "u1", 3)])["xyz"][:, 2]
    assert 0.5 < np.median(z) < 5.0  # metres: the motorcycle is ~1-3 m from the camera
