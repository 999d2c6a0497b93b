# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest

from stereo_depth_node.core.point_cloud import (
    cloud_layout,
    pack_cloud,
    pack_rgb,
    unpack_cloud,
    unpack_rgb,
)


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
def test_pack_and_unpack_bytes(use_color, avoid_padding):
    layout = cloud_layout(use_color, avoid_padding)
    points = np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3)
    points[1, 2] = np.nan
    rgb = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3) * 10
    data = pack_cloud(points, layout, rgb if use_color else None)
    assert len(data) == 6 * layout.point_step
    # second point (row 0, column 1): x, y, z at offsets 0, 4, 8 of its record
    record = data[layout.point_step: 2 * layout.point_step]
    assert np.frombuffer(record[:12], "<f4").tolist() == [3.0, 4.0, 5.0]
    cloud = unpack_cloud(data, layout, 2, 3)
    np.testing.assert_array_equal(cloud["z"], points[:, :, 2])
    assert np.isnan(cloud["x"][1, 2])
    if use_color:
        rgb_offset = dict(layout.fields)["rgb"]
        assert record[rgb_offset:rgb_offset + 4] == bytes([50, 40, 30, 0])
        np.testing.assert_array_equal(unpack_rgb(cloud["rgb"]), rgb)
    elif layout.point_step == 16:
        assert record[12:16] == bytes(4)  # padding is zero


def test_colour_layout_needs_colours_and_sizes_must_fit():
    with pytest.raises(ValueError, match="rgb image"):
        pack_cloud(np.zeros((2, 2, 3), np.float32), cloud_layout(True, False))
    with pytest.raises(ValueError, match="expected 64"):
        unpack_cloud(bytes(10), cloud_layout(False, False), 2, 2)
