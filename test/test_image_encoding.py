# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest

from stereo_depth_node.core.image_encoding import (
    ENCODINGS,
    array_to_image_fields,
    image_to_array,
    to_mono8,
    to_rgb8,
)


def sample(encoding, height=3, width=4):
    info = ENCODINGS[encoding]
    shape = (height, width) if info.channels == 1 else (height, width, info.channels)
    values = np.arange(np.prod(shape)).reshape(shape) * 37 % 251
    if info.dtype == np.uint16:
        values = values * 257 + 3
    return values.astype(info.dtype)


def pad_rows(data: bytes, row_bytes: int, height: int, padding: int) -> bytes:
    rows = [data[i * row_bytes:(i + 1) * row_bytes] + b"\xee" * padding for i in range(height)]
    return b"".join(rows)


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("padding", [0, 5])
def test_round_trip_every_encoding_with_and_without_padding(encoding, padding):
    array = sample(encoding)
    fields = array_to_image_fields(array, encoding)
    assert fields.step == array.shape[1] * array.itemsize * ENCODINGS[encoding].channels
    assert not fields.is_bigendian
    data = pad_rows(fields.data, fields.step, fields.height, padding)
    view = image_to_array(data, fields.height, fields.width, encoding, fields.step + padding)
    assert view.shape == array.shape
    np.testing.assert_array_equal(view, array)


def test_reading_does_not_copy():
    array = sample("rgb8")
    buffer = bytearray(array_to_image_fields(array, "rgb8").data)
    view = image_to_array(buffer, 3, 4, "rgb8", 12)
    assert np.shares_memory(view, np.frombuffer(buffer, np.uint8))
    padded = bytearray(pad_rows(bytes(buffer), 12, 3, 4))
    padded_view = image_to_array(padded, 3, 4, "rgb8", 16)
    assert np.shares_memory(padded_view, np.frombuffer(padded, np.uint8))
    assert padded_view.strides[0] == 16


@pytest.mark.parametrize("encoding", ["mono16", "16UC1", "32FC1"])
def test_big_endian_data_is_honoured(encoding):
    array = sample(encoding)
    big_endian = array.astype(array.dtype.newbyteorder(">")).tobytes()
    view = image_to_array(big_endian, 3, 4, encoding, 4 * array.itemsize, is_bigendian=True)
    np.testing.assert_array_equal(view, array)
    little_read = image_to_array(big_endian, 3, 4, encoding, 4 * array.itemsize)
    assert not np.array_equal(little_read, array)


def test_unsupported_encoding_lists_supported_ones():
    with pytest.raises(ValueError) as error:
        image_to_array(bytes(12), 2, 2, "yuv422", 4)
    assert "'yuv422'" in str(error.value)
    for name in ENCODINGS:
        assert name in str(error.value)
    # Three generic channels have no defined colour order (cv_bridge refuses them too).
    with pytest.raises(ValueError, match="unsupported image encoding '8UC3'"):
        image_to_array(bytes(12), 2, 2, "8UC3", 6)


def test_bad_buffers_are_rejected():
    with pytest.raises(ValueError, match="step 5 is smaller than width x bytes per pixel = 6"):
        image_to_array(bytes(30), 5, 2, "rgb8", 5)
    with pytest.raises(ValueError, match="has 11 bytes, expected step x height = 12"):
        image_to_array(bytes(11), 3, 4, "mono8", 4)
    with pytest.raises(ValueError, match="must be positive"):
        image_to_array(bytes(0), 0, 4, "mono8", 4)


def test_array_shape_must_fit_encoding():
    with pytest.raises(ValueError, match="does not fit encoding rgb8"):
        array_to_image_fields(np.zeros((2, 2), np.uint8), "rgb8")


def test_mono8_conversions():
    rgb = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 10, 10]]], np.uint8)
    grey = to_mono8(rgb, "rgb8")
    np.testing.assert_array_equal(grey, [[76, 150, 29, 10]])  # ITU-R 601 weights
    np.testing.assert_array_equal(to_mono8(rgb[:, :, ::-1].copy(), "bgr8"), grey)
    rgba = np.concatenate([rgb, np.full((1, 4, 1), 7, np.uint8)], axis=2)
    np.testing.assert_array_equal(to_mono8(rgba, "rgba8"), grey)
    np.testing.assert_array_equal(to_mono8(rgba[:, :, [2, 1, 0, 3]].copy(), "bgra8"), grey)
    mono16 = np.array([[0, 255, 256, 65535]], np.uint16)
    np.testing.assert_array_equal(to_mono8(mono16, "mono16"), [[0, 0, 1, 255]])
    np.testing.assert_array_equal(to_mono8(mono16, "16UC1"), [[0, 0, 1, 255]])
    np.testing.assert_array_equal(to_mono8(grey, "8UC1"), grey)  # generic 1-channel: grey
    with pytest.raises(ValueError, match="'32FC1' cannot be matched"):
        to_mono8(np.zeros((2, 2), np.float32), "32FC1")


def test_rgb8_conversions():
    bgr = np.array([[[1, 2, 3]]], np.uint8)
    np.testing.assert_array_equal(to_rgb8(bgr, "bgr8"), [[[3, 2, 1]]])
    np.testing.assert_array_equal(to_rgb8(np.array([[9]], np.uint8), "mono8"), [[[9, 9, 9]]])
    np.testing.assert_array_equal(to_rgb8(np.array([[9]], np.uint8), "8UC1"), [[[9, 9, 9]]])
    np.testing.assert_array_equal(to_rgb8(np.array([[[1, 2, 3, 4]]], np.uint8), "bgra8"),
                                  [[[3, 2, 1]]])


@pytest.mark.parametrize("pattern", ["rggb", "bggr", "gbrg", "grbg"])
@pytest.mark.parametrize("bits", [8, 16])
def test_each_bayer_pattern_round_trips_a_known_colour_image(pattern, bits):
    import cv2
    from skimage import data

    from stereo_depth_node.testing.raw_scenes import bayer_mosaic

    # a smooth colour image: demosaicing is exact but for interpolation between samples
    rgb = cv2.GaussianBlur(data.astronaut()[:200, :200], (7, 7), 2)
    scale = 1 if bits == 8 else 257
    mosaic = bayer_mosaic(rgb.astype(np.uint16) * scale if bits == 16 else rgb, pattern)
    encoding = f"bayer_{pattern}{bits}"
    inner = (slice(4, -4), slice(4, -4))
    colour = to_rgb8(mosaic, encoding)
    assert colour.shape == (200, 200, 3) and colour.dtype == np.uint8
    error = np.abs(colour[inner].astype(int) - rgb[inner])
    assert error.mean() < 1.0  # measured 0.4; another pattern's order gives over 10
    swapped = np.abs(colour[inner][..., ::-1].astype(int) - rgb[inner]).mean()
    assert swapped > 10 * error.mean()
    grey = to_mono8(mosaic, encoding)
    expected_grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    assert np.abs(grey[inner].astype(int) - expected_grey[inner]).mean() < 1.0
