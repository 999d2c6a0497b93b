# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""ROS 2 messages to and from the core: topics, headers, images, calibrations, outputs.

:func:`process_inputs` and :func:`frame_messages` (together
:func:`output_messages`) turn one synchronized set of input messages into the
output messages; the node and ``stereo-depth process`` share them, so they
publish identical messages.
"""

from __future__ import annotations

import array
import dataclasses
from collections.abc import Callable, Collection

import numpy as np
from builtin_interfaces.msg import Time
from sensor_msgs.msg import CameraInfo, CompressedImage, Image, PointCloud2, PointField
from std_msgs.msg import Header
from stereo_msgs.msg import DisparityImage

from stereo_depth_node.core.camera_model import CameraModel
from stereo_depth_node.core.compressed import decode_compressed
from stereo_depth_node.core.geometry import (
    CameraCalibration,
    StereoGeometry,
    depth_in_millimetres,
)
from stereo_depth_node.core.image_encoding import (
    array_to_image_fields,
    image_to_array,
    require_intensity,
    to_rgb8,
)
from stereo_depth_node.core.matching import ValidWindow
from stereo_depth_node.core.parameters import NodeSettings
from stereo_depth_node.core.point_cloud import (
    FLOAT32,
    CloudLayout,
    cloud_view,
    unpack_rgb,
    valid_points,
)
from stereo_depth_node.core.processor import (
    CONFIDENCE,
    DEPTH,
    DISPARITY,
    OUTPUTS,
    POINTS,
    StereoFrame,
    StereoProcessor,
)
from stereo_depth_node.core.rectification import Rectifier

# The node's inputs, relative to its namespace, in synchronizer order, and their types.
INPUT_TOPICS = ("left/image_rect", "left/camera_info", "right/image_rect", "right/camera_info")
INPUT_TYPES = (Image, CameraInfo, Image, CameraInfo)
# The image topics that rectify replaces with each camera's image_raw; with rectify they are
# outputs too: the rectified grey pair as matched.
RECTIFIED_TOPICS = ("left/image_rect", "right/image_rect")
# Message type of each output, by topic name (the core's output names, and the rectified pair).
OUTPUT_TYPES = {DISPARITY: DisparityImage, DEPTH: Image, POINTS: PointCloud2, CONFIDENCE: Image,
                **{topic: Image for topic in RECTIFIED_TOPICS}}


# One synchronized set, in that order; the images compressed with image_transport compressed.
InputSet = tuple[Image | CompressedImage, CameraInfo, Image | CompressedImage, CameraInfo]

# The left camera's colour stream: the cloud's colours (point_cloud_node, use_image_rect_color).
COLOUR_INPUT_TOPIC = "left/image_rect_color"
# point_cloud_node's inputs (stereo_image_proc's), in synchronizer order, and their types.
CLOUD_INPUT_TOPICS = (COLOUR_INPUT_TOPIC, "left/camera_info", "right/camera_info", "disparity")
CLOUD_INPUT_TYPES = (Image, CameraInfo, CameraInfo, DisparityImage)
CloudInputSet = tuple[Image | CompressedImage, CameraInfo, CameraInfo, DisparityImage]


def type_name(message_type: type) -> str:
    """The ROS 2 type name of a message class, e.g. ``sensor_msgs/msg/Image``."""
    return f"{message_type.__module__.split('.')[0]}/msg/{message_type.__name__}"


INPUT_TYPE_NAMES = tuple(type_name(t) for t in INPUT_TYPES)


def stamp_ns(header: Header) -> int:
    """A header's stamp as integer nanoseconds."""
    return header.stamp.sec * 1_000_000_000 + header.stamp.nanosec


def header_at(stamp: int, frame_id: str) -> Header:
    """A header with ``stamp`` in integer nanoseconds."""
    return Header(stamp=Time(sec=stamp // 1_000_000_000, nanosec=stamp % 1_000_000_000),
                  frame_id=frame_id)


def camera_model_from_info(info: CameraInfo) -> CameraModel:
    """The full calibration in a ``CameraInfo``: D, K, R, P, binning and ROI."""
    roi = info.roi
    return CameraModel(int(info.width), int(info.height), tuple(map(float, info.k)),
                       tuple(map(float, info.d)), tuple(map(float, info.r)),
                       tuple(map(float, info.p)), info.distortion_model,
                       int(info.binning_x), int(info.binning_y),
                       (int(roi.x_offset), int(roi.y_offset), int(roi.width), int(roi.height)),
                       info.header.frame_id)


def camera_info_from_model(camera: CameraModel, header: Header) -> CameraInfo:
    """The ``CameraInfo`` of a full calibration (the inverse of :func:`camera_model_from_info`)."""
    info = CameraInfo(header=header, width=camera.width, height=camera.height,
                      distortion_model=camera.distortion_model, d=list(camera.D),
                      k=list(camera.K), r=list(camera.R), p=list(camera.P),
                      binning_x=camera.binning_x, binning_y=camera.binning_y)
    info.roi.x_offset, info.roi.y_offset, info.roi.width, info.roi.height = camera.roi
    return info


def calibration_from_camera_info(info: CameraInfo) -> CameraCalibration:
    """The rectified images' calibration in a ``CameraInfo``: ``P`` and the image size.

    Both in the images' own pixels: with binning or an ROI set, the size is the ROI's,
    binned, and ``P`` is moved and scaled to match (as image_geometry reads it).
    """
    return camera_model_from_info(info).rectified_calibration()


def camera_info_message(calibration: CameraCalibration, header: Header) -> CameraInfo:
    """A ``CameraInfo`` for already rectified images (identity R, no distortion)."""
    return camera_info_from_model(CameraModel.of_rectified_images(calibration), header)


def array_from_image(image: Image, encoding: str | None = None) -> np.ndarray:
    """View an ``Image``'s pixels without copying (see ``image_to_array``).

    Read in the image's own encoding, or in ``encoding`` when given.
    """
    return image_to_array(image.data, image.height, image.width, encoding or image.encoding,
                          image.step, bool(image.is_bigendian))


def image_pixels(message: Image | CompressedImage) -> tuple[np.ndarray, str]:
    """The pixels of an intensity image, raw or compressed, and their encoding.

    An ``Image`` is viewed without copying; a ``CompressedImage`` (JPEG or PNG)
    is decoded.

    Raises
    ------
    ValueError
        An encoding that cannot be matched (the message lists those that can), or
        compressed data that does not decode.
    """
    if isinstance(message, CompressedImage):
        return decode_compressed(message.data, message.format)
    require_intensity(message.encoding)  # before reading: the message lists input encodings
    return array_from_image(message), message.encoding


def image_message(array: np.ndarray, encoding: str, header: Header) -> Image:
    """An unpadded little-endian ``Image`` holding ``array``."""
    fields = array_to_image_fields(array, encoding)
    message = Image(header=header, height=fields.height, width=fields.width,
                    encoding=fields.encoding, is_bigendian=fields.is_bigendian, step=fields.step)
    message.data = fields.data  # one copy; the constructor's data= would copy twice
    return message


def disparity_message(frame: StereoFrame, header: Header) -> DisparityImage:
    """The frame's ``stereo_msgs/DisparityImage``: invalid pixels below ``min_disparity``."""
    message = DisparityImage(header=header)
    message.image = image_message(frame.disparity_with_invalid_marked(), "32FC1", header)
    message.f = frame.geometry.fx
    message.t = frame.geometry.baseline
    window = frame.valid_window
    message.valid_window.x_offset = window.x_offset
    message.valid_window.y_offset = window.y_offset
    message.valid_window.width = window.width
    message.valid_window.height = window.height
    message.min_disparity = float(frame.min_disparity)
    message.max_disparity = float(frame.max_disparity)
    message.delta_d = float(frame.delta_d)
    return message


class CloudBuffer:
    """The bytes of one ``PointCloud2.data``, kept from frame to frame.

    Allocated (zeroed) again only when the layout or the size changes, so a
    stream of clouds costs no allocation and no zeroing, and padding bytes stay
    zero. A message that holds it is valid until the next :meth:`get`: publish
    it before building the next one.
    """

    def __init__(self) -> None:
        self._key: tuple[CloudLayout, int, int] | None = None
        self._data = array.array("B")

    def get(self, layout: CloudLayout, height: int, width: int) -> array.array[int]:
        """The buffer for a ``height`` x ``width`` cloud in ``layout``."""
        if self._key != (layout, height, width):
            self._data = array.array("B", bytes(height * width * layout.point_step))
            self._key = (layout, height, width)
        return self._data


def cloud_message(frame: StereoFrame, header: Header, layout: CloudLayout,
                  buffer: CloudBuffer | None = None, step: int = 1,
                  valid_only: bool = False) -> PointCloud2:
    """The frame's ``PointCloud2``: organized (rows of points, NaN where invalid) by default.

    The points are written once, straight into the message's data: into
    ``buffer``'s bytes when given (see :class:`CloudBuffer`), else into new ones.
    ``step`` keeps every ``step``-th row and column; ``valid_only`` turns the
    cloud into one row of its valid points (``is_dense`` true), in row order.
    """
    height, width = -(-frame.geometry.height // step), -(-frame.geometry.width // step)
    data = (buffer or CloudBuffer()).get(layout, height, width)
    cloud = cloud_view(data, layout, height, width)
    frame.write_cloud(cloud, step)
    if valid_only:
        valid = valid_points(cloud)
        data = array.array("B", valid.tobytes())
        height, width = 1, len(valid)
    # With check_fields the data setter keeps this array.array; without, it copies it.
    message = PointCloud2(
        check_fields=True, header=header, height=height, width=width,
        fields=[PointField(name=name, offset=offset, datatype=FLOAT32, count=1)
                for name, offset in layout.fields],
        is_bigendian=False, point_step=layout.point_step,
        row_step=layout.point_step * width, is_dense=valid_only)
    message.data = data
    return message


def points_from_cloud_message(message: PointCloud2) -> tuple[np.ndarray, np.ndarray | None]:
    """The points and colours of an organized cloud that :func:`cloud_message` wrote.

    Returns
    -------
    points : numpy.ndarray
        Shape ``(height, width, 3)``, float32, x, y, z in metres; NaN where invalid.
    rgb : numpy.ndarray or None
        Shape ``(height, width, 3)``, uint8 R, G, B; None without an ``rgb`` field.
    """
    cloud = cloud_array(message)
    points = np.stack([cloud["x"], cloud["y"], cloud["z"]], axis=-1)
    return points, unpack_rgb(cloud["rgb"]) if "rgb" in (cloud.dtype.names or ()) else None


def cloud_array(message: PointCloud2) -> np.ndarray:
    """View a little-endian float32 ``PointCloud2`` as a structured ``(height, width)`` array.

    Field names are the message's; its data is not copied.
    """
    layout = CloudLayout(tuple((f.name, f.offset) for f in message.fields), message.point_step)
    return cloud_view(message.data, layout, message.height, message.width)


def disparity_from_message(message: DisparityImage, encoding: str | None = None) -> np.ndarray:
    """Disparity of a ``DisparityImage`` as a new float32 ``(H, W)`` array, pixels.

    Pixels below ``min_disparity`` (the message's mark for "invalid") become NaN.
    The image is read in its own encoding, or in ``encoding`` when given.
    """
    disparity = array_from_image(message.image, encoding).astype(np.float32)
    disparity[~(disparity >= message.min_disparity)] = np.nan
    return disparity


def frame_from_disparity(inputs: CloudInputSet, color: bool,
                         warn: Callable[[str], None]) -> StereoFrame:
    """A frame from a disparity computed elsewhere: ``point_cloud_node``'s inputs.

    Read as ``stereo_image_proc`` reads it: the image as 32FC1, whatever its
    encoding says (``warn`` is told), rows ``step`` bytes apart, extra data
    ignored; pixels below ``min_disparity`` are unknown. Depth comes from the
    two camera_infos; one without a size takes the disparity's. A calibration
    that gives no depth gives a frame without depth (its geometry says why).
    Colours, with ``color``, from the colour image, which must have the
    disparity's size.

    Raises
    ------
    ValueError
        An unreadable disparity image (size, step, data shorter than step x
        height), camera_infos of another size, or a colour image that cannot be
        read or has another size.
    """
    colour_image, left_info, right_info, message = inputs
    image = message.image
    if image.encoding != "32FC1":
        warn(f"disparity image encoding {image.encoding!r} is not 32FC1; read as 32FC1, "
             "as stereo_image_proc does")
    disparity = disparity_from_message(message, "32FC1")
    height, width = disparity.shape
    geometry = StereoGeometry.from_calibrations(
        *(_sized(calibration_from_camera_info(info), width, height)
          for info in (left_info, right_info)))
    rgb = colours_of(colour_image, width, height) if color else None
    window = message.valid_window
    offset = geometry.cx_offset
    return StereoFrame(
        disparity, geometry,
        (round(message.min_disparity + offset), round(message.max_disparity + offset)),
        float(message.delta_d),
        ValidWindow(window.x_offset, window.y_offset, window.width, window.height),
        depth=geometry.depth_from_disparity(disparity) if geometry.depth_refusal is None
        else None, rgb=rgb)


def colours_of(image: Image | CompressedImage, width: int, height: int) -> np.ndarray:
    """The R, G, B colours of a colour (or grey) image of the frame's ``width`` x ``height``.

    Raises
    ------
    ValueError
        An image that cannot be read or decoded, or of another size.
    """
    pixels, encoding = image_pixels(image)
    if pixels.shape[:2] != (height, width):
        raise ValueError(f"colour image is {pixels.shape[1]}x{pixels.shape[0]} but the frame "
                         f"is {width}x{height}")
    return to_rgb8(pixels, encoding)


def _sized(calibration: CameraCalibration, width: int, height: int) -> CameraCalibration:
    """``calibration`` with the disparity's size if it has none; ValueError if it has another."""
    if (calibration.width, calibration.height) == (0, 0):
        return dataclasses.replace(calibration, width=width, height=height)
    if (calibration.width, calibration.height) != (width, height):
        raise ValueError(f"camera_info is {calibration.width}x{calibration.height} but the "
                         f"disparity is {width}x{height}")
    return calibration


def output_messages(processor: StereoProcessor, left_image: Image | CompressedImage,
                    left_info: CameraInfo, right_image: Image | CompressedImage,
                    right_info: CameraInfo, wanted: Collection[str],
                    settings: NodeSettings,
                    refused: Callable[[str], None] | None = None,
                    rectifier: Rectifier | None = None) -> dict[str, object]:
    """Compute the ``wanted`` outputs (names from :data:`OUTPUT_TYPES`) of one stereo frame.

    :func:`process_inputs`, then :func:`frame_messages`. A calibration that
    gives no metric depth still gives the disparity (as with
    ``stereo_image_proc``); ``depth`` and ``points2`` are then left out and
    ``refused(reason)`` is called.

    Raises
    ------
    ValueError
        As :func:`process_inputs`.
    """
    frame = process_inputs(processor, (left_image, left_info, right_image, right_info), wanted,
                           settings.use_color, rectifier, settings.interpolation)
    refusal = depth_refusal_for(frame, wanted)
    if refusal is not None and refused:
        refused(refusal)
    return frame_messages(frame, left_info.header, wanted, settings)


def depth_refusal_for(frame: StereoFrame, wanted: Collection[str]) -> str | None:
    """Why ``depth`` or ``points2``, wanted, get no depth from this frame's calibration."""
    return frame.geometry.depth_refusal if {DEPTH, POINTS} & set(wanted) else None


def process_inputs(processor: StereoProcessor, inputs: InputSet, wanted: Collection[str],
                   color: bool, rectifier: Rectifier | None = None,
                   interpolation: int = 1) -> StereoFrame:
    """Run one synchronized set of input messages through ``processor``.

    Only what the ``wanted`` outputs need is computed: depth for ``depth`` or
    ``points2``, colours only with ``color``. Compressed images are decoded;
    with a ``rectifier`` the images are raw and rectified first, with their
    camera_info's D, K, R and P and ``interpolation`` (image_proc's values).

    Raises
    ------
    ValueError
        A frame that cannot be processed: a bad calibration, images of different
        sizes or encodings, an unsupported encoding, compressed data that does
        not decode. The message names the problem.
    """
    left_image, left_info, right_image, right_info = inputs
    pixels = [image_pixels(image) for image in (left_image, right_image)]
    if rectifier is None:
        (left, left_encoding), (right, right_encoding) = pixels
        geometry = StereoGeometry.from_calibrations(calibration_from_camera_info(left_info),
                                                    calibration_from_camera_info(right_info))
        return processor.process(left, left_encoding, right, right_encoding, geometry, wanted,
                                 color=color)
    cameras = [camera_model_from_info(info) for info in (left_info, right_info)]
    # grey images matched whatever the outputs, so the disparity does not depend on them
    (left, encoding), (right, _) = [
        rectifier.rectify(image, image_encoding, camera, name, False, interpolation)
        for (image, image_encoding), camera, name in zip(pixels, cameras, ("left", "right"))]
    geometry = StereoGeometry.from_calibrations(*(camera.rectified_calibration()
                                                  for camera in cameras))
    matched = [name for name in wanted if name in OUTPUTS] or [DISPARITY]
    frame = processor.process(left, encoding, right, encoding, geometry, matched, color=False)
    colours = None
    if color and POINTS in wanted and frame.depth is not None:
        image, colour_encoding = rectifier.rectify(*pixels[0], cameras[0], "left", True,
                                                   interpolation)
        colours = to_rgb8(image, colour_encoding)
    return dataclasses.replace(frame, rgb=colours, rectified=(left, right))


def frame_messages(frame: StereoFrame, header: Header, wanted: Collection[str],
                   settings: NodeSettings, cloud_buffer: CloudBuffer | None = None,
                   cloud_without_depth: bool = False,
                   right_header: Header | None = None) -> dict[str, object]:
    """The ``wanted`` output messages of a processed frame, each with ``header``.

    Shaped by ``settings``: the depth range (``min_depth``, ``max_depth``),
    depth's encoding, the cloud's layout, decimation and density. ``depth``
    only when the frame has depth, and ``points2`` too unless
    ``cloud_without_depth`` (then a cloud of NaN points, as
    ``stereo_image_proc``'s point cloud node sends); the cloud in
    ``cloud_buffer`` when given (see :class:`CloudBuffer`). The rectified pair
    (mono8) of a frame rectified here, the right image with ``right_header``.
    """
    messages: dict[str, object] = {}
    if frame.rectified is not None:
        for topic, image, image_header in zip(RECTIFIED_TOPICS, frame.rectified,
                                              (header, right_header or header)):
            if topic in wanted:
                messages[topic] = image_message(image, "mono8", image_header)
    if DISPARITY in wanted:
        messages[DISPARITY] = disparity_message(frame, header)
    frame = frame.within_depth(settings.min_depth, settings.max_depth)
    if DEPTH in wanted and frame.depth is not None:
        messages[DEPTH] = image_message(depth_in_millimetres(frame.depth), "16UC1", header) \
            if settings.depth_in_millimetres else image_message(frame.depth, "32FC1", header)
    if POINTS in wanted and (frame.depth is not None or cloud_without_depth):
        messages[POINTS] = cloud_message(frame, header, settings.cloud_layout, cloud_buffer,
                                         settings.point_cloud_decimation,
                                         settings.point_cloud_valid_only)
    if CONFIDENCE in wanted and frame.confidence is not None:
        messages[CONFIDENCE] = image_message(frame.confidence, "32FC1", header)
    return messages
