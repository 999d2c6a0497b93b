# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Image files for ``stereo-depth compute``: their size from the header, and decoding them.

The header is read first (with Pillow, which reads only the header; an image
Pillow does not know is decoded directly), so that a file whose header claims
gigapixels is refused before anything is allocated for it. Decoding is
OpenCV's, with what its codecs print to the process's stderr (``libpng error:
...``) caught and turned into the reason of a one-line error.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from stereo_depth_node.core.compressed import jpeg_is_complete

# OpenCV refuses to decode more pixels than this (its CV_IO_MAX_IMAGE_PIXELS setting).
OPENCV_MAX_PIXELS = int(os.environ.get("CV_IO_MAX_IMAGE_PIXELS", 1 << 30))
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Bytes per pixel of Pillow's modes as OpenCV decodes them (IMREAD_UNCHANGED; palettes as BGR).
_MODE_BYTES = {"1": 1, "L": 1, "P": 3, "PA": 4, "LA": 4, "RGB": 3, "RGBA": 4, "RGBX": 4,
               "CMYK": 4, "YCbCr": 3, "I;16": 2, "I;16B": 2, "I;16L": 2, "I": 4, "F": 4}
# OpenCV's log prefix ("[ WARN:0@0.03] global grfmt_png.cpp:793 readFromStreamOrBuffer ")
# and its error text ("OpenCV(4.6.0) /path/file.cpp:59: error: (-2:Unspecified error) ").
_OPENCV_LOG_PREFIX = re.compile(r"^\[\s*\w+:[^\]]*\]\s*global\s+\S+\s+(\(\d+\)\s+)?\S+\s+")
_OPENCV_ERROR_PREFIX = re.compile(r"OpenCV\([^)]*\)\s+\S+:\s*error:\s*\([^)]*\)\s*")
# What codecs print when an image they returned is damaged or incomplete: libjpeg's "Corrupt JPEG
# data: ...", "Premature end of JPEG file", libtiff's and libpng's errors.
_DAMAGE = re.compile(r"corrupt|premature end|TIFF_Error|libpng error", re.IGNORECASE)


@dataclass(frozen=True)
class ImageHeader:
    """What an image file's header says, read without decoding the pixels."""

    width: int
    height: int
    bytes_per_pixel: int  # as OpenCV decodes it: 1 for 8-bit grey, 3 for 8-bit colour ...
    format: str  # Pillow's name: PNG, JPEG, TIFF ...

    @property
    def size(self) -> str:
        """``WIDTHxHEIGHT``."""
        return f"{self.width}x{self.height}"


def read_header(path: str | Path) -> ImageHeader | None:
    """The header of an image file, or None if Pillow is missing or does not know the format.

    Raises
    ------
    ValueError
        The file does not exist or cannot be read.
    """
    if not Path(path).is_file():
        raise ValueError(f"cannot read {path}: "
                         + ("not a file" if Path(path).exists() else "no such file"))
    try:
        from PIL import Image
    except ImportError:  # Pillow comes with matplotlib; without it images are decoded directly
        return None
    limit = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = None  # our limits apply, to the size Pillow reads here
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns about what it reads (bad EXIF ...)
            with Image.open(path) as image:
                width, height = image.size
                mode, format_name = image.mode, image.format or "image"
        with open(path, "rb") as stream:
            start = stream.read(26)
    except OSError as error:
        if error.errno is not None:  # the file itself cannot be read
            raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
        return None  # UnidentifiedImageError (an OSError): not a format Pillow knows
    except Exception:  # Pillow's plugins raise SyntaxError, struct.error ... on bad headers
        return None  # OpenCV decodes it then, and says what is wrong
    finally:
        Image.MAX_IMAGE_PIXELS = limit
    return ImageHeader(width, height, _png_bytes_per_pixel(start) or _MODE_BYTES.get(mode, 4),
                       format_name)


def _png_bytes_per_pixel(start: bytes) -> int | None:
    """Bytes per decoded pixel from a PNG's IHDR (Pillow shows 16-bit colour as 8-bit RGB)."""
    if not start.startswith(_PNG_SIGNATURE) or len(start) < 26:
        return None
    depth, colour_type = start[24], start[25]
    channels = {0: 1, 2: 3, 3: 3, 4: 4, 6: 4}.get(colour_type, 4)  # grey+alpha decodes as BGRA
    return channels * (2 if depth == 16 else 1)


def check_decodable(path: str | Path, header: ImageHeader) -> None:
    """ValueError unless OpenCV decodes an image of ``header``'s size at all."""
    if header.width * header.height > OPENCV_MAX_PIXELS:
        raise ValueError(f"cannot read {path}: its header says {header.size} pixels, more than "
                         f"OpenCV decodes ({OPENCV_MAX_PIXELS} pixels, CV_IO_MAX_IMAGE_PIXELS)")


def decode_image(path: str | Path, header: ImageHeader | None = None) -> np.ndarray:
    """The pixels of an image file as OpenCV decodes them (``IMREAD_UNCHANGED``).

    Nothing is written to stderr when the file cannot be decoded: what OpenCV's
    codecs print there becomes the reason in the ValueError. An image OpenCV
    returns although a codec reported it incomplete (``Corrupt JPEG data:
    premature end of data segment``), and a JPEG without its end marker, are
    errors too: the rest of such an image is filler. Codec warnings on a good
    image (``libpng warning: iCCP: ...``) are passed on to stderr as
    ``stereo-depth compute: warning: FILE: ...`` lines.

    Raises
    ------
    ValueError
        The file cannot be read or decoded, or its header claims more pixels
        than OpenCV decodes.
    """
    if header is not None:
        check_decodable(path, header)
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
    if header is not None and header.format == "JPEG" and not jpeg_is_complete(data.tobytes()):
        raise ValueError(f"cannot read {path}: the JPEG data is cut short (no end-of-image "
                         "marker after the image data)")
    image, printed = None, ""
    reason = None
    with _captured_stderr() as captured:
        try:
            image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
        except cv2.error as error:
            reason = _opencv_reason(error.err)
    printed = captured[0] if captured else ""
    if image is not None:
        messages = _codec_messages(printed)
        errors = [text for is_error, text in messages if is_error]
        if errors:  # decoded in part: the rest is filler
            raise ValueError(f"cannot read {path}: the {header.format if header else 'image'} "
                             f"data is damaged ({errors[-1]})")
        for _, text in messages:
            print(f"stereo-depth compute: warning: {path}: {text}", file=sys.stderr)
        return image
    reason = reason or _opencv_reason(printed)
    detail = f" ({reason})" if reason else ""
    if header is not None:
        raise ValueError(f"cannot read {path}: the {header.format} data is damaged or "
                         f"unsupported{detail}")
    raise ValueError(f"cannot read {path}: not an image format OpenCV decodes{detail}")


def _codec_messages(printed: str) -> list[tuple[bool, str]]:
    """What codecs printed, one line each: whether it reports damage, and the text.

    OpenCV's log and error prefixes are removed from the text; an OpenCV log
    line of level ERROR counts as damage.
    """
    messages = []
    for raw in printed.splitlines():
        text = _OPENCV_ERROR_PREFIX.sub("", _OPENCV_LOG_PREFIX.sub("", raw.strip()))
        text = re.sub(r"\s+in function '[^']*'$", "", text)
        if text:
            is_error = raw.lstrip().startswith("[ERROR") or bool(_DAMAGE.search(text))
            messages.append((is_error, text if len(text) <= 160 else text[:157] + "..."))
    return messages


def _opencv_reason(printed: str) -> str | None:
    """The last thing a codec printed, without OpenCV's log and error prefixes."""
    messages = _codec_messages(printed)
    return messages[-1][1] if messages else None


@contextlib.contextmanager
def _captured_stderr() -> Iterator[list[str]]:
    """Redirect file descriptor 2 (C libraries' stderr) into a list of one string for a while.

    The list gets the text when the block ends. Where fd 2 cannot be redirected
    (closed), nothing is captured and the list stays empty.
    """
    captured: list[str] = []
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:
        yield captured
        return
    try:
        with tempfile.TemporaryFile() as sink:
            os.dup2(sink.fileno(), 2)
            try:
                yield captured
            finally:
                os.dup2(saved, 2)
                sink.seek(0)
                captured.append(sink.read().decode(errors="replace"))
    finally:
        os.close(saved)
