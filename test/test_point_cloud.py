# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
import array

import numpy as np
import pytest

from stereo_depth_node.core.geometry import StereoGeometry, rectified_calibrations
from stereo_depth_node.core.image_encoding import to_rgb8
from stereo_depth_node.core.matching import ValidWindow
from stereo_depth_node.core.point_cloud import (
    cloud_layout,
    cloud_view,
    pack_rgb,
    unpack_rgb,
)
from stereo_depth_node.core.processor import StereoFrame


@pytest.mark.parametrize("use_color, avoid_padding, fields, step", [
    (True, False, (("x", 0), ("y", 4), ("z", 8), ("rgb", 16)), 32),
    (True, True, (("x", 0), ("y", 4), ("z", 8), ("rgb", 12)), 16),
    (False, False, (("x", 0), ("y", 4), ("z", 8)), 16),
    (False, True, (("x", 0), ("y", 4), ("z", 8)), 12),
])
def test_layouts_match_stereo_image_proc(use_color, avoid_padding, fields, step):
    layout = cloud_layout(use_color, avoid_padding)
    assert layout.fields == fields
    assert layout.point_step == step
    assert layout.dtype().itemsize == step


def test_rgb_packing_is_pcl_convention():
    packed = pack_rgb(np.array([[[0x12, 0x34, 0x56]]], np.uint8))
    assert packed.dtype == np.float32
    assert packed.view(np.uint32)[0, 0] == 0x00123456
    assert packed.tobytes() == bytes([0x56, 0x34, 0x12, 0x00])  # B, G, R, 0 little-endian
    np.testing.assert_array_equal(unpack_rgb(packed), [[[0x12, 0x34, 0x56]]])


@pytest.mark.parametrize("use_color", [True, False])
@pytest.mark.parametrize("avoid_padding", [True, False])
def test_frame_writes_its_cloud_in_place(use_color, avoid_padding):
    layout = cloud_layout(use_color, avoid_padding)
    # f = 2 px, cx = 1, cy = 0.5; depth 2 m at (u=0, v=0)
    geometry = StereoGeometry.from_calibrations(*rectified_calibrations(3, 2, 2.0, 1.0, 0.5, 0.1))
    depth = np.array([[2.0, 4.0, np.nan], [1.0, 1.0, 1.0]], np.float32)
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10
    frame = StereoFrame(np.zeros((2, 3), np.float32), geometry, (0, 63), 1 / 16,
                        ValidWindow(0, 0, 3, 2), depth=depth, rgb=rgb if use_color else None)
    data = array.array("B", bytes(6 * layout.point_step))
    frame.write_cloud(cloud_view(data, layout, 2, 3))
    # first point: x = (0 - 1) * 2 / 2 = -1, y = (0 - 0.5) * 2 / 2 = -0.5, z = 2
    assert np.frombuffer(data[:12], "<f4").tolist() == [-1.0, -0.5, 2.0]
    # second point (row 0, column 1): x, y, z at offsets 0, 4, 8 of its record
    record = data[layout.point_step: 2 * layout.point_step].tobytes()
    assert np.frombuffer(record[:12], "<f4").tolist() == [0.0, -1.0, 4.0]
    cloud = cloud_view(data, layout, 2, 3)
    np.testing.assert_array_equal(cloud["z"], depth)
    assert np.isnan([cloud["x"][0, 2], cloud["y"][0, 2]]).all()
    if use_color:
        rgb_offset = dict(layout.fields)["rgb"]
        assert record[rgb_offset:rgb_offset + 4] == bytes([50, 40, 30, 0])  # B, G, R, 0
        np.testing.assert_array_equal(unpack_rgb(cloud["rgb"]), rgb)
    elif layout.point_step == 16:
        assert record[12:16] == bytes(4)  # padding is left as allocated: zero


def test_a_colour_cloud_needs_colours_and_sizes_must_fit():
    geometry = StereoGeometry.from_calibrations(*rectified_calibrations(2, 2, 2.0, 1.0, 1.0, 0.1))
    frame = StereoFrame(np.zeros((2, 2), np.float32), geometry, (0, 63), 1 / 16,
                        ValidWindow(0, 0, 2, 2), depth=np.ones((2, 2), np.float32))
    colour = cloud_layout(True, False)
    with pytest.raises(ValueError, match="needs the frame's colours"):
        frame.write_cloud(cloud_view(bytearray(4 * 32), colour, 2, 2))
    with pytest.raises(ValueError, match=r"cloud of shape \(1, 4\) for a frame of \(2, 2\)"):
        frame.write_cloud(cloud_view(bytearray(4 * 16), cloud_layout(False, False), 1, 4))
    with pytest.raises(ValueError, match="expected 64"):
        cloud_view(bytes(10), cloud_layout(False, False), 2, 2)
    without_depth = StereoFrame(np.zeros((2, 2), np.float32), geometry, (0, 63), 1 / 16,
                                ValidWindow(0, 0, 2, 2))
    with pytest.raises(ValueError, match="no depth"):
        without_depth.points()


def test_rgb_packs_in_place_into_a_strided_field():
    cloud = np.zeros((1, 2), dtype=cloud_layout(True, False).dtype())
    pack_rgb(np.array([[[1, 2, 3], [255, 0, 128]]], np.uint8), out=cloud["rgb"])
    assert cloud["rgb"].view(np.uint32).tolist() == [[0x010203, 0xFF0080]]
    assert (cloud["x"] == 0).all()


def test_grey_colours_pack_as_equal_channels():
    grey = np.array([[0, 7, 255]], np.uint8)
    as_rgb = to_rgb8(grey, "mono8")
    assert as_rgb.strides[2] == 0  # a view, not a copy
    packed = pack_rgb(as_rgb)
    assert packed.view(np.uint32).tolist() == [[0, 0x070707, 0xFFFFFF]]
    np.testing.assert_array_equal(packed, pack_rgb(np.repeat(grey[:, :, None], 3, axis=2)))
