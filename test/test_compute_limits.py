# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""``stereo-depth compute`` on hostile input: huge or damaged images, broken parameter files.

Every case ends with exactly one line ``stereo-depth compute: error: ...`` (nothing from
libpng or OpenCV before it), exit code 2, and nothing written. Images too large for the memory
limit are refused from their headers, before anything is decoded or matched.
"""

import re
import struct
import zlib

import cv2
import numpy as np
import pytest

from helpers import assert_one_line_error, entries, run_main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def png_header_only(path, width, height, colour=False):
    """A PNG whose header says ``width`` x ``height`` and whose pixel data is a few bytes.

    Anything that decodes it fails (or would need gigabytes): a refusal from the header is the
    only way to end with the expected message.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 2 if colour else 0, 0, 0, 0)
    path.write_bytes(PNG_SIGNATURE + png_chunk(b"IHDR", header)
                     + png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b""))
    return path


@pytest.fixture
def pair(tmp_path):
    """A small real pair, left.png and right.png (160 x 120 grey)."""
    rng = np.random.default_rng(3)
    left = rng.integers(0, 256, (120, 160), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "left.png"), left)
    cv2.imwrite(str(tmp_path / "right.png"), np.roll(left, -4, axis=1))
    return tmp_path / "left.png", tmp_path / "right.png"


@pytest.fixture
def nothing_decoded_or_matched(monkeypatch):
    """Fail the test if an image is decoded or a pair matched."""
    from stereo_depth_node.core.processor import StereoProcessor

    def refuse(*args, **kwargs):
        raise AssertionError("decoded or matched although the header says it is too large")
    for name in ("imread", "imdecode"):
        monkeypatch.setattr(cv2, name, refuse)
    monkeypatch.setattr(StereoProcessor, "process", refuse)


def compute_fails(capfd, tmp_path, pattern, *args):
    before = entries(tmp_path)
    result = run_main(capfd, "compute", *args, "--out", tmp_path / "out")
    assert_one_line_error(result, "compute", pattern)
    assert entries(tmp_path) == before
    return result


# --- damaged images: only our line on stderr ------------------------------------------------------

@pytest.mark.parametrize("damage", ["pixel data cut off", "pixel data corrupt", "header only"])
def test_a_damaged_png_gives_only_our_line(tmp_path, capfd, pair, damage):
    left, _ = pair
    data = left.read_bytes()
    broken = tmp_path / "broken.png"
    if damage == "pixel data cut off":
        broken.write_bytes(data[:200])
    elif damage == "pixel data corrupt":  # libpng: "IDAT: CRC error"
        broken.write_bytes(data[:100] + b"\0" * 50 + data[150:])
    else:
        broken.write_bytes(data[:8])
    pattern = (re.escape(f"cannot read {broken}: the PNG data is damaged or unsupported")
               + r"( \(.+\))?") if damage != "header only" else re.escape(
        f"cannot read {broken}: not an image format OpenCV decodes") + r"( \(.+\))?"
    compute_fails(capfd, tmp_path, pattern, left, broken)


def test_a_damaged_png_gives_only_our_line_in_a_child_process(tmp_path, pair):
    from helpers import run_cli

    left, _ = pair
    (tmp_path / "broken.png").write_bytes(left.read_bytes()[:100] + b"\0" * 50
                                          + left.read_bytes()[150:])
    result = run_cli("compute", left, tmp_path / "broken.png", "--out", tmp_path / "out")
    assert_one_line_error(result, "compute", re.escape(
        f"cannot read {tmp_path / 'broken.png'}: the PNG data is damaged or unsupported (")
        + r".*CRC error\)")
    assert not (tmp_path / "out").exists()


# --- parameter files and values -------------------------------------------------------------------

def test_invalid_yaml_in_params_is_one_line_with_its_position(tmp_path, capfd, pair):
    params = tmp_path / "bad.yaml"
    params.write_text("/**:\n  ros__parameters:\n    stereo_algorithm: 1\n   P1: 300.0\n")
    compute_fails(capfd, tmp_path, re.escape(
        f"{params}, line 4, column 4: not valid YAML: expected <block end>, but found "
        "'<block mapping start>' (while parsing a block mapping)"), *pair, "--params", params)


def test_invalid_yaml_in_a_set_value_is_one_line(tmp_path, capfd, pair):
    compute_fails(capfd, tmp_path, re.escape(
        "--set 'prefilter_cap=[': the value is not valid YAML: ") + ".+",
        *pair, "--set", "prefilter_cap=[")


def test_a_camera_info_file_that_is_not_yaml_is_one_line(tmp_path, capfd, pair):
    left = tmp_path / "left.yaml"
    left.write_text("image_width: 160\nimage_height: [120\n")
    compute_fails(capfd, tmp_path, re.escape(f"{left}, line 3, column 1: not valid YAML: ") + ".+",
                  *pair, "--calib", left, left)


def test_a_params_file_that_is_not_text_is_one_line(tmp_path, capfd, pair):
    params = tmp_path / "binary.yaml"
    params.write_bytes(b"\x80\x81 not UTF-8")
    compute_fails(capfd, tmp_path, re.escape(f"{params}: not valid YAML: ") + ".+",
                  *pair, "--params", params)
