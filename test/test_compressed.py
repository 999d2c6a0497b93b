# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""CompressedImage data: image_transport's formats, JPEG and PNG, and what is refused."""

import numpy as np
import pytest

from stereo_depth_node.core.compressed import codec_of, decode_compressed, encode_compressed
from stereo_depth_node.core.image_encoding import to_rgb8
from stereo_depth_node.testing.raw_scenes import bayer_mosaic


@pytest.fixture(scope="module")
def colour():
    from helpers import load_motorcycle

    return load_motorcycle().left  # rgb8


@pytest.mark.parametrize("text, codec", [
    ("jpeg", "jpeg"), ("png", "png"), ("JPG", "jpeg"),
    ("bgr8; jpeg compressed bgr8", "jpeg"), ("rgb8; jpeg compressed bgr8", "jpeg"),
    ("mono8; png compressed mono8", "png"), ("bayer_rggb8; png compressed ", "png"),
    ("mono16; png compressed mono16", "png"),
])
def test_image_transports_format_strings_name_the_codec(text, codec):
    assert codec_of(text) == codec


@pytest.mark.parametrize("text", ["", "theora", "16UC1; compressedDepth png", "bgr8; webp"])
def test_other_formats_are_refused_with_what_is_decoded(text):
    with pytest.raises(ValueError, match="is not one this node decodes: 'jpeg' or 'png'"):
        codec_of(text)


def test_png_is_lossless_for_colour_grey_and_16_bits(colour):
    for image, encoding, decoded_encoding in (
            (colour, "rgb8", "bgr8"), (colour[:, :, 0], "mono8", "mono8"),
            (colour[:, :, 0].astype(np.uint16) * 257, "mono16", "mono16")):
        data, text = encode_compressed(image, encoding, "png")
        assert text == f"{encoding}; png compressed {decoded_encoding}"
        decoded, got = decode_compressed(data, text)
        assert got == decoded_encoding
        np.testing.assert_array_equal(to_rgb8(decoded, got) if got == "bgr8" else decoded,
                                      image)


def test_jpeg_at_quality_95_is_close(colour):
    data, text = encode_compressed(colour, "rgb8", "jpeg", jpeg_quality=95)
    assert text == "rgb8; jpeg compressed bgr8"
    decoded, encoding = decode_compressed(data, text)
    error = np.abs(to_rgb8(decoded, encoding).astype(int) - colour)
    assert encoding == "bgr8" and 0 < error.mean() < 3.0  # 4:2:0 chroma: measured 2.3
    assert len(data) < colour.nbytes / 4


def test_damaged_data_is_refused(colour):
    data, text = encode_compressed(colour, "rgb8", "jpeg")
    with pytest.raises(ValueError, match="a JPEG cut short"):
        decode_compressed(data[:len(data) // 2], text)
    png, png_text = encode_compressed(colour, "rgb8", "png")
    with pytest.raises(ValueError, match=r"is not JPEG, as its format 'rgb8; jpeg compressed "
                                         r"bgr8' says"):
        decode_compressed(png, text)
    with pytest.raises(ValueError, match="does not decode as PNG"):
        decode_compressed(png[:100], png_text)
    with pytest.raises(ValueError, match="JPEG cannot hold mono16"):
        encode_compressed(colour[:, :, 0].astype(np.uint16), "mono16", "jpeg")
    with pytest.raises(ValueError, match="with an empty format is neither JPEG nor PNG"):
        decode_compressed(b"GIF89a" + png[6:], "")


@pytest.mark.parametrize("encoding", ["bayer_rggb8", "bayer_gbrg16"])
def test_bayer_images_are_coded_undemosaiced_and_keep_their_encoding(colour, encoding):
    # image_transport's compressed plugin puts a Bayer image into a PNG as it is
    mosaic = bayer_mosaic(colour[:, :740].astype(np.uint16) * 257 if encoding.endswith("16")
                          else colour[:, :740], encoding[6:10])
    data, text = encode_compressed(mosaic, encoding, "png")
    assert text == f"{encoding}; png compressed "
    decoded, got = decode_compressed(data, text)
    assert got == encoding
    np.testing.assert_array_equal(decoded, mosaic)
    with pytest.raises(ValueError, match=f"JPEG cannot hold {encoding} images"):
        encode_compressed(mosaic, encoding, "jpeg")


def test_an_empty_format_is_read_by_content(colour):
    for codec in ("png", "jpeg"):
        data, _ = encode_compressed(colour, "rgb8", codec)
        decoded, encoding = decode_compressed(data, "")
        assert encoding == "bgr8" and decoded.shape == colour.shape
