# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Conversion between ``sensor_msgs/Image`` buffers and NumPy arrays.

ROS-free: the functions take and return the message's plain fields
(``height``, ``width``, ``encoding``, ``step``, ``is_bigendian``, ``data``),
so they serve the node, the bag tools and the tests alike. Reading never
copies pixel data: the returned array is a view of the message buffer, with
row padding skipped by strides and big-endian data described by the dtype.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import cv2
import numpy as np


class EncodingInfo(NamedTuple):
    """Pixel layout of one ROS image encoding."""

    dtype: np.dtype
    channels: int


ENCODINGS: dict[str, EncodingInfo] = {
    "mono8": EncodingInfo(np.dtype(np.uint8), 1),
    "mono16": EncodingInfo(np.dtype(np.uint16), 1),
    "8UC1": EncodingInfo(np.dtype(np.uint8), 1),
    "rgb8": EncodingInfo(np.dtype(np.uint8), 3),
    "bgr8": EncodingInfo(np.dtype(np.uint8), 3),
    "rgba8": EncodingInfo(np.dtype(np.uint8), 4),
    "bgra8": EncodingInfo(np.dtype(np.uint8), 4),
    "16UC1": EncodingInfo(np.dtype(np.uint16), 1),
    "32FC1": EncodingInfo(np.dtype(np.float32), 1),
    **{f"bayer_{pattern}{bits}": EncodingInfo(np.dtype(np.uint8 if bits == 8 else np.uint16), 1)
       for pattern in ("rggb", "bggr", "gbrg", "grbg") for bits in (8, 16)},
}

# The colour filter arrays, by ROS pattern (the colours of the top-left 2 x 2 pixels), as
# OpenCV names them (after the second row's second and third pixels): demosaicing codes.
_BAYER_TO_GRAY = {"rggb": cv2.COLOR_BayerBG2GRAY, "bggr": cv2.COLOR_BayerRG2GRAY,
                  "gbrg": cv2.COLOR_BayerGR2GRAY, "grbg": cv2.COLOR_BayerGB2GRAY}
_BAYER_TO_RGB = {"rggb": cv2.COLOR_BayerBG2RGB, "bggr": cv2.COLOR_BayerRG2RGB,
                 "gbrg": cv2.COLOR_BayerGR2RGB, "grbg": cv2.COLOR_BayerGB2RGB}
BAYER_ENCODINGS = tuple(name for name in ENCODINGS if name.startswith("bayer_"))

# Encodings that hold intensity images a matcher can use (not depth or disparity). The
# single-channel generic ones (8UC1, 16UC1) are taken as mono8 and mono16, as cv_bridge does.
INTENSITY_ENCODINGS = ("mono8", "mono16", "rgb8", "bgr8", "rgba8", "bgra8", "8UC1", "16UC1",
                       *BAYER_ENCODINGS)
# Those with colour (Bayer images have it once demosaiced).
COLOUR_ENCODINGS = ("rgb8", "bgr8", "rgba8", "bgra8", *BAYER_ENCODINGS)

_TO_GRAY = {"rgb8": cv2.COLOR_RGB2GRAY, "bgr8": cv2.COLOR_BGR2GRAY,
            "rgba8": cv2.COLOR_RGBA2GRAY, "bgra8": cv2.COLOR_BGRA2GRAY}
_TO_RGB = {"bgr8": cv2.COLOR_BGR2RGB, "rgba8": cv2.COLOR_RGBA2RGB, "bgra8": cv2.COLOR_BGRA2RGB}


def encoding_info(encoding: str) -> EncodingInfo:
    """Pixel layout of ``encoding``; ValueError listing the supported ones otherwise."""
    try:
        return ENCODINGS[encoding]
    except KeyError:
        raise ValueError(
            f"unsupported image encoding {encoding!r}; supported: {', '.join(ENCODINGS)}"
        ) from None


def image_to_array(data: bytes | bytearray | memoryview | np.ndarray, height: int, width: int,
                   encoding: str, step: int, is_bigendian: bool = False) -> np.ndarray:
    """View an image buffer as an array, without copying.

    Parameters
    ----------
    data : buffer
        The message's ``data`` (any object exposing the buffer protocol).
    height, width : int
        Image size, pixels.
    encoding : str
        One of :data:`ENCODINGS`.
    step : int
        Bytes per row, at least ``width * bytes_per_pixel`` (more when rows are padded).
    is_bigendian : bool
        Byte order of multi-byte pixels.

    Returns
    -------
    numpy.ndarray
        Shape ``(height, width)`` for one channel, ``(height, width, C)`` otherwise,
        dtype from :data:`ENCODINGS` (with big-endian byte order when ``is_bigendian``).
        A read-only or writable view of ``data``, as ``data`` allows.

    Raises
    ------
    ValueError
        Unsupported encoding, non-positive size, ``step`` too small, or a buffer
        shorter than ``step * height``.
    """
    info = encoding_info(encoding)
    if height <= 0 or width <= 0:
        raise ValueError(f"image size {width}x{height} must be positive")
    row_bytes = width * info.channels * info.dtype.itemsize
    if step < row_bytes:
        raise ValueError(
            f"image step {step} is smaller than width x bytes per pixel = {row_bytes} "
            f"({encoding}, width {width})"
        )
    buffer = np.frombuffer(data, dtype=np.uint8)
    if buffer.size < step * height:
        raise ValueError(
            f"image data has {buffer.size} bytes, expected step x height = {step * height}"
        )
    dtype = info.dtype.newbyteorder(">" if is_bigendian else "<")
    rows = buffer[: step * height].reshape(height, step)[:, :row_bytes]
    pixels = rows.view(dtype)
    return pixels if info.channels == 1 else pixels.reshape(height, width, info.channels)


@dataclass(frozen=True)
class ImageFields:
    """The fields of a ``sensor_msgs/Image`` except the header."""

    height: int
    width: int
    encoding: str
    is_bigendian: bool
    step: int
    data: bytes


def array_to_image_fields(array: np.ndarray, encoding: str) -> ImageFields:
    """Pack an array as unpadded, little-endian image fields.

    Parameters
    ----------
    array : numpy.ndarray
        Shape ``(H, W)`` or ``(H, W, C)`` matching ``encoding``'s channels; its dtype
        is converted to the encoding's when they differ.
    encoding : str
        One of :data:`ENCODINGS`.
    """
    info = encoding_info(encoding)
    expected_ndim = 2 if info.channels == 1 else 3
    if array.ndim != expected_ndim or (info.channels > 1 and array.shape[2] != info.channels):
        raise ValueError(
            f"array of shape {array.shape} does not fit encoding {encoding} "
            f"({info.channels} channel(s))"
        )
    height, width = array.shape[:2]
    data = np.ascontiguousarray(array, dtype=info.dtype.newbyteorder("<")).tobytes()
    return ImageFields(height, width, encoding, False, width * info.channels * info.dtype.itemsize,
                       data)


def to_mono8(image: np.ndarray, encoding: str) -> np.ndarray:
    """Grey uint8 image for matching, shape ``(H, W)``.

    16-bit images are scaled by 1/256 (as ``cv_bridge`` does); colour images are
    converted with the ITU-R 601 weights of :func:`cv2.cvtColor`; Bayer images are
    demosaiced (bilinear) straight to grey.
    """
    require_intensity(encoding)
    if encoding in ("mono8", "8UC1"):
        return image
    if encoding in BAYER_ENCODINGS:
        return _to_8_bits(cv2.cvtColor(np.ascontiguousarray(image),
                                       _BAYER_TO_GRAY[encoding[6:10]]))
    if encoding in ("mono16", "16UC1"):
        return (image >> 8).astype(np.uint8)
    return cv2.cvtColor(np.ascontiguousarray(image), _TO_GRAY[encoding])


def to_rgb8(image: np.ndarray, encoding: str) -> np.ndarray:
    """Colour uint8 image, shape ``(H, W, 3)``, channels in R, G, B order.

    A grey image comes back as a read-only view that repeats its one channel
    three times (stride 0 along the channels): no copy.
    """
    require_intensity(encoding)
    if encoding == "rgb8":
        return image
    if encoding in BAYER_ENCODINGS:
        return _to_8_bits(cv2.cvtColor(np.ascontiguousarray(image),
                                       _BAYER_TO_RGB[encoding[6:10]]))
    if encoding in _TO_RGB:
        return cv2.cvtColor(np.ascontiguousarray(image), _TO_RGB[encoding])
    mono = to_mono8(image, encoding)
    return np.broadcast_to(mono[:, :, None], mono.shape + (3,))


def _to_8_bits(image: np.ndarray) -> np.ndarray:
    """A 16-bit image scaled by 1/256 to uint8; an 8-bit one as it is."""
    return image if image.dtype == np.uint8 else (image >> 8).astype(np.uint8)


def require_intensity(encoding: str) -> None:
    """Raise ValueError, listing the usable encodings, unless ``encoding`` can be matched."""
    if encoding not in INTENSITY_ENCODINGS:
        raise ValueError(
            f"image encoding {encoding!r} cannot be matched; use one of "
            f"{', '.join(INTENSITY_ENCODINGS)}"
        )
