# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Decoding ``sensor_msgs/CompressedImage`` data: JPEG and PNG, as image_transport writes them.

image_transport's ``compressed`` plugin writes ``format`` as
``"<encoding>; jpeg compressed <coded encoding>"`` (or ``png``), where the coded
encoding is ``bgr8`` or ``mono8`` (``bgr16``, ``mono16`` in PNG), or nothing for an
image it codes as it is: a Bayer image goes into a PNG undemosaiced, as
``"bayer_rggb8; png compressed "``. Older writers and other tools write just ``"jpeg"``
or ``"png"``, and an empty ``format`` is read by content, as image_transport's
subscriber does. The image comes back as OpenCV decodes it, with the encoding that
describes it: a single-channel image keeps the Bayer encoding it was coded from.
"""

from __future__ import annotations

import re

import cv2
import numpy as np

from stereo_depth_node.core.image_encoding import BAYER_ENCODINGS

CODECS = ("jpeg", "png")
_FORMAT = re.compile(r"^\s*(?:(?P<encoding>\w+)\s*;\s*)?(?P<codec>jpeg|jpg|png)"
                     r"(?:\s+compressed(?:\s+\w+)?)?\s*$", re.IGNORECASE)
_MAGIC = {"jpeg": b"\xff\xd8", "png": b"\x89PNG\r\n\x1a\n"}


def codec_of(format_text: str) -> str:
    """``jpeg`` or ``png``, from a CompressedImage's ``format``; ValueError for others."""
    return _parsed(format_text)[0]


def _parsed(format_text: str) -> tuple[str, str]:
    """The codec of a ``format``, and the encoding of the image coded ('' if not given)."""
    match = _FORMAT.match(format_text)
    if match is None:
        raise ValueError(
            f"compressed image format {format_text!r} is not one this node decodes: "
            "'jpeg' or 'png', or image_transport's '<encoding>; jpeg compressed bgr8' / "
            "'<encoding>; png compressed bgr8' (compressedDepth and other transports are not "
            "supported)")
    codec = match["codec"].lower()
    return "jpeg" if codec == "jpg" else codec, match["encoding"] or ""


def decode_compressed(data: bytes | bytearray | memoryview | np.ndarray,
                      format_text: str) -> tuple[np.ndarray, str]:
    """Decode a CompressedImage's ``data``.

    Parameters
    ----------
    data : buffer
        The message's ``data``.
    format_text : str
        The message's ``format`` (see the module's description).

    Returns
    -------
    image : numpy.ndarray
        Shape ``(H, W)`` (grey) or ``(H, W, 3)`` / ``(H, W, 4)`` (colour, OpenCV's B, G, R
        order), uint8, or uint16 for 16-bit PNGs.
    encoding : str
        ``mono8``, ``mono16``, ``bgr8`` or ``bgra8``.

    Raises
    ------
    ValueError
        An unknown format, data that is not of that codec, or data that does not decode
        (a JPEG cut short included).
    """
    buffer = np.frombuffer(data, dtype=np.uint8)
    codec, original = _parsed(format_text) if format_text.strip() else \
        (_codec_by_content(buffer), "")
    if not buffer[:len(_MAGIC[codec])].tobytes() == _MAGIC[codec]:
        raise ValueError(f"compressed image data ({buffer.size} bytes) is not {codec.upper()}, "
                         f"as its format {format_text!r} says")
    if codec == "jpeg" and not jpeg_is_complete(buffer.tobytes()):
        raise ValueError("compressed image data is a JPEG cut short (no end-of-image marker "
                         "after the image data)")
    image = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f"compressed image data ({buffer.size} bytes) does not decode as "
                         f"{codec.upper()}")
    if image.ndim == 2:
        bits = 16 if image.dtype == np.uint16 else 8
        if original in BAYER_ENCODINGS and original.endswith(str(bits)):
            return image, original  # coded undemosaiced
        return image, f"mono{bits}"
    if image.dtype != np.uint8:  # 16-bit colour PNG: the node matches 8 bits
        image = (np.asarray(image, dtype=np.uint16) >> 8).astype(np.uint8)
    return image, "bgr8" if image.shape[2] == 3 else "bgra8"


def _codec_by_content(buffer: np.ndarray) -> str:
    """The codec whose signature starts ``buffer``; ValueError naming both otherwise."""
    for codec, magic in _MAGIC.items():
        if buffer[:len(magic)].tobytes() == magic:
            return codec
    raise ValueError(f"compressed image data ({buffer.size} bytes) with an empty format is "
                     "neither JPEG nor PNG")


def jpeg_is_complete(data: bytes) -> bool:
    """Whether a JPEG has its end-of-image marker after the image data begins.

    Entropy-coded data stuffs every 0xFF byte, so FF D9 after the first
    start-of-scan marker (FF DA) is the end marker; data cut short has none
    (OpenCV decodes it silently, grey below the cut). Data appended after the
    end (motion photos) does not matter.
    """
    scan = data.find(b"\xff\xda")
    return scan < 0 or data.find(b"\xff\xd9", scan) >= 0


def encode_compressed(image: np.ndarray, encoding: str, codec: str,
                      jpeg_quality: int = 95) -> tuple[bytes, str]:
    """Encode an image as image_transport's compressed plugin does: ``(data, format)``.

    ``image`` is ``mono8``, ``mono16`` (PNG only), ``rgb8``, ``bgr8`` or a Bayer
    encoding (PNG only, coded undemosaiced); colour is coded as bgr8. For recording
    test bags and for benchmarks.
    """
    if codec not in CODECS:
        raise ValueError(f"codec {codec!r} is not one of {', '.join(CODECS)}")
    if encoding in BAYER_ENCODINGS or encoding == "mono16":
        if codec == "jpeg":
            raise ValueError(f"JPEG cannot hold {encoding} images; use png")
        coded = "" if encoding in BAYER_ENCODINGS else encoding
    else:
        coded = "mono8" if encoding == "mono8" else "bgr8"
    pixels = cv2.cvtColor(image, cv2.COLOR_RGB2BGR) if encoding == "rgb8" else image
    parameters = [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality] if codec == "jpeg" else \
        [cv2.IMWRITE_PNG_COMPRESSION, 1]
    ok, data = cv2.imencode(".jpg" if codec == "jpeg" else ".png", pixels, parameters)
    if not ok:
        raise ValueError(f"cannot encode a {encoding} image as {codec}")
    return data.tobytes(), f"{encoding}; {codec} compressed {coded}"
