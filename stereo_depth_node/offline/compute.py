# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""``stereo-depth compute``: one image pair from files to disparity, depth and cloud files.

ROS-free. Writes into a temporary folder beside the output and moves the
files into place only when all of them are complete.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np

from stereo_depth_node.core.geometry import CameraCalibration, StereoGeometry
from stereo_depth_node.core.image_encoding import to_mono8
from stereo_depth_node.core.parameters import MatcherParams
from stereo_depth_node.core.processor import CONFIDENCE, POINTS, StereoFrame, StereoProcessor
from stereo_depth_node.offline.image_files import ImageHeader, decode_image, read_header
from stereo_depth_node.offline.memory_limit import DEFAULT_MAX_MEMORY_GB, check_memory
from stereo_depth_node.offline.pfm import write_pfm
from stereo_depth_node.offline.ply import write_ply
from stereo_depth_node.offline.visualize import colorize

OUTPUT_NAMES = frozenset({"disparity.pfm", "disparity.png", "confidence.pfm", "depth.pfm",
                          "depth.png", "cloud.ply"})


def read_image(path: str | Path, header: ImageHeader | None = None) -> tuple[np.ndarray, str]:
    """An image file as an array and its ROS encoding (mono8, mono16, bgr8 or bgra8).

    Colour 16-bit images are reduced to 8 bits. Raises ValueError for a file
    that does not exist or that OpenCV cannot decode (one line, with what the
    decoder reported; nothing reaches stderr), or whose ``header`` claims more
    pixels than OpenCV decodes.
    """
    if header is None:
        header = read_header(path)
    image = decode_image(path, header)
    if image.ndim == 3 and image.dtype == np.uint16:
        image = np.right_shift(image, 8).astype(np.uint8)
    if image.ndim == 2:
        if image.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"cannot use {path}: {image.dtype} pixels (8 or 16 bit needed)")
        return image, "mono8" if image.dtype == np.uint8 else "mono16"
    encodings = {3: "bgr8", 4: "bgra8"}
    if image.dtype != np.uint8 or image.shape[2] not in encodings:
        raise ValueError(f"cannot use {path}: {image.shape[2]} channels of {image.dtype}")
    return image, encodings[image.shape[2]]


def pixel_geometry(width: int, height: int) -> StereoGeometry:
    """Geometry for an uncalibrated pair: disparities only, no principal-point offset."""
    return StereoGeometry(width, height, fx=1.0, fy=1.0, cx=(width - 1) / 2,
                          cy=(height - 1) / 2, cx_right=(width - 1) / 2, baseline=1.0)


@dataclass(frozen=True)
class ComputeResult:
    """What ``compute`` wrote."""

    files: tuple[Path, ...]
    frame: StereoFrame
    matcher_disparity: np.ndarray  # x_l - x_r, float32, inf where unknown


def compute_to_files(left_path: str | Path, right_path: str | Path, out_dir: str | Path,
                     params: MatcherParams,
                     calibration: tuple[CameraCalibration, CameraCalibration] | None = None,
                     max_memory_gb: float = DEFAULT_MAX_MEMORY_GB) -> ComputeResult:
    """Match a pair of image files and write the results into ``out_dir``.

    Writes ``disparity.pfm`` (float32, ``x_l - x_r`` with the left image as
    reference, ``inf`` where there is no estimate: the Middlebury convention),
    ``confidence.pfm`` (0..1, 0 where there is no estimate) and
    ``disparity.png`` (TURBO colour map over the search range, black where
    there is no estimate); with a calibration also ``depth.pfm`` (metres,
    ``inf`` where unknown), ``depth.png`` and ``cloud.ply`` (valid points, colour).

    Raises
    ------
    ValueError
        Unreadable images, images of different sizes, a calibration that does
        not fit them, or a pair whose estimated peak memory
        (:func:`~stereo_depth_node.offline.memory_limit.estimate_compute_bytes`) is
        above ``max_memory_gb``: checked from the files' headers before they are
        decoded (after decoding for a format Pillow does not read), and always
        before matching. Nothing is written then.
    """
    left, right, encoding = read_pair_within_memory(left_path, right_path, params,
                                                    calibration is not None, max_memory_gb)
    geometry = _geometry(calibration, left.shape[1], left.shape[0])
    outputs = (CONFIDENCE, POINTS) if calibration is not None else (CONFIDENCE,)
    frame = StereoProcessor(params).process(left, encoding, right, encoding, geometry, outputs,
                                            color=True)
    matcher_disparity = frame.matcher_disparity()
    matcher_disparity[np.isnan(matcher_disparity)] = np.inf
    output = StagedOutput(Path(out_dir), OUTPUT_NAMES)
    with output as staging:
        write_pfm(staging / "disparity.pfm", matcher_disparity)
        if frame.confidence is not None:
            write_pfm(staging / "confidence.pfm", frame.confidence)
        write_png(staging / "disparity.png", colorize(matcher_disparity, *frame.search))
        if frame.depth is not None and frame.rgb is not None:
            write_depth_files(staging, frame.depth, frame.points(), frame.rgb)
    return ComputeResult(output.files, frame, matcher_disparity)


def read_pair_within_memory(left_path: str | Path, right_path: str | Path, params: MatcherParams,
                            calibrated: bool, max_memory_gb: float,
                            ) -> tuple[np.ndarray, np.ndarray, str]:
    """:func:`read_pair` after checking the estimated peak memory of matching the pair.

    The check uses the files' headers before decoding; for a format whose
    header is not read, the decoded images before matching.
    """
    left_header, right_header = read_header(left_path), read_header(right_path)
    what = f"{left_path} and {right_path}"
    if left_header is not None and right_header is not None:
        _check_same_size(left_path, (left_header.width, left_header.height),
                         right_path, (right_header.width, right_header.height))
        check_memory(what, left_header.width, left_header.height,
                     max(left_header.bytes_per_pixel, right_header.bytes_per_pixel), params,
                     calibrated, max_memory_gb)
    left, right, encoding = read_pair(left_path, right_path, (left_header, right_header))
    if left_header is None or right_header is None:
        height, width = left.shape[:2]
        check_memory(what, width, height, max(left.nbytes, right.nbytes) // (width * height),
                     params, calibrated, max_memory_gb)
    return left, right, encoding


def _geometry(calibration: tuple[CameraCalibration, CameraCalibration] | None, width: int,
              height: int) -> StereoGeometry:
    """The pair's geometry: the calibration's, checked against the size, else pixels only."""
    if calibration is None:
        return pixel_geometry(width, height)
    geometry = StereoGeometry.from_calibrations(*calibration)
    geometry.require_depth()
    if (geometry.width, geometry.height) != (width, height):
        raise ValueError(f"the calibration is for {geometry.width}x{geometry.height} but the "
                         f"images are {width}x{height}")
    return geometry


def read_pair(left_path: str | Path, right_path: str | Path,
              headers: tuple[ImageHeader | None, ImageHeader | None] = (None, None),
              ) -> tuple[np.ndarray, np.ndarray, str]:
    """Both images of a pair and their common encoding (grey for a grey and a colour file).

    ``headers`` are the files' if read already (:func:`read_header`).

    Raises
    ------
    ValueError
        An unreadable file, or images of different sizes.
    """
    left, left_encoding = read_image(left_path, headers[0])
    right, right_encoding = read_image(right_path, headers[1])
    _check_same_size(left_path, (left.shape[1], left.shape[0]),
                     right_path, (right.shape[1], right.shape[0]))
    if left_encoding != right_encoding:  # e.g. a grey and a colour file: match both in grey
        return to_mono8(left, left_encoding), to_mono8(right, right_encoding), "mono8"
    return left, right, left_encoding


def _check_same_size(left_path: str | Path, left_size: tuple[int, int],
                     right_path: str | Path, right_size: tuple[int, int]) -> None:
    if left_size != right_size:
        raise ValueError(f"{left_path} is {left_size[0]}x{left_size[1]} but {right_path} is "
                         f"{right_size[0]}x{right_size[1]}; a rectified pair has one size")


def image_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` of an image file, from its header when Pillow reads it."""
    header = read_header(path)
    if header is not None:
        return header.width, header.height
    height, width = read_image(path, header)[0].shape[:2]
    return width, height


def write_png(path: Path, image: np.ndarray) -> None:
    """Write a PNG, raising OSError when it cannot be written (cv2.imwrite only returns False).

    Encoded by OpenCV and written by Python, so that a full disk is an OSError
    with its errno rather than an empty file.
    """
    encoded, data = cv2.imencode(".png", image)
    if not encoded:
        raise OSError(f"OpenCV could not encode {path.name}")
    path.write_bytes(data.tobytes())


def write_depth_files(folder: Path, depth: np.ndarray, points: np.ndarray,
                      rgb: np.ndarray) -> None:
    """``depth.pfm`` (metres, ``inf`` where unknown), ``depth.png`` and ``cloud.ply``.

    Parameters
    ----------
    folder : Path
        Where to write.
    depth : numpy.ndarray
        Shape ``(H, W)``, float32, metres; NaN where unknown.
    points, rgb : numpy.ndarray
        Shape ``(H, W, 3)``: float32 metres, and uint8 R, G, B.
    """
    depth = np.where(np.isnan(depth), np.inf, depth).astype(np.float32)
    write_pfm(folder / "depth.pfm", depth)
    known = np.isfinite(depth)
    near, far = (np.percentile(depth[known], [2, 98]) if known.any() else (0.0, 1.0))
    write_png(folder / "depth.png", colorize(depth, near, max(far, near + 1e-3)))
    write_ply(folder / "cloud.ply", points, rgb)


class StagedOutput:
    """A folder of output files that appear all together or not at all.

    Entering gives a temporary folder beside ``out_dir`` to write into; leaving
    without an exception moves every file written there into ``out_dir`` (and
    removes files among ``owned`` that this run did not write, left by an
    earlier run), then removes the temporary folder in any case.

    Attributes
    ----------
    files : tuple of Path
        The files moved into ``out_dir``, sorted by name (after a successful exit).
    """

    def __init__(self, out_dir: Path, owned: frozenset[str]) -> None:
        self.out_dir = out_dir
        self.owned = owned
        self.files: tuple[Path, ...] = ()
        self._staging: Path | None = None

    def __enter__(self) -> Path:
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        self._staging = Path(tempfile.mkdtemp(prefix=f".{self.out_dir.name}.",
                                              dir=self.out_dir.parent))
        return self._staging

    def __exit__(self, exc_type: type | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        assert self._staging is not None, "StagedOutput left without being entered"
        try:
            if exc_type is None:
                self.out_dir.mkdir(exist_ok=True)
                self.files = tuple(produced.replace(self.out_dir / produced.name)
                                   for produced in sorted(self._staging.iterdir()))
                for stale in self.owned - {f.name for f in self.files}:
                    (self.out_dir / stale).unlink(missing_ok=True)
        finally:
            shutil.rmtree(self._staging, ignore_errors=True)
