"""One synchronized set of input messages to the output messages: shared by node and bag tool."""

from __future__ import annotations

from collections.abc import Collection

from sensor_msgs.msg import CameraInfo, Image, PointCloud2
from stereo_msgs.msg import DisparityImage

from stereo_depth_node.dense_matching import disparity_step, valid_window
from stereo_depth_node.geometry import StereoGeometry
from stereo_depth_node.image_encoding import require_intensity
from stereo_depth_node.messages import (
    array_from_image,
    calibration_from_camera_info,
    cloud_message,
    disparity_message,
    image_message,
)
from stereo_depth_node.point_cloud import CloudLayout
from stereo_depth_node.stereo_processor import StereoProcessor, fill_invalid

# The node's inputs, relative to its namespace, in synchronizer order, and their types.
INPUT_TOPICS = ("left/image_rect", "left/camera_info", "right/image_rect", "right/camera_info")
INPUT_TYPES = (Image, CameraInfo, Image, CameraInfo)
# Message type of each output, by topic name.
OUTPUT_TYPES = {"disparity": DisparityImage, "depth": Image, "points2": PointCloud2,
                "confidence": Image}


def type_name(message_type: type) -> str:
    """The ROS 2 type name of a message class, e.g. ``sensor_msgs/msg/Image``."""
    return f"{message_type.__module__.split('.')[0]}/msg/{message_type.__name__}"


def output_messages(processor: StereoProcessor, left_image: Image, left_info: CameraInfo,
                    right_image: Image, right_info: CameraInfo, wanted: Collection[str],
                    layout: CloudLayout) -> dict[str, object]:
    """Compute the ``wanted`` outputs (names from :data:`OUTPUT_TYPES`) of one stereo frame.

    Every output carries the left ``camera_info``'s header. Only what is wanted
    is computed: depth for ``depth`` or ``points2``, colour only for a colour
    ``layout``.

    Raises
    ------
    ValueError
        A frame that cannot be processed: a bad calibration, images of different
        sizes or encodings, an unsupported encoding. The message names the problem.
    """
    geometry = StereoGeometry.from_calibrations(calibration_from_camera_info(left_info),
                                                calibration_from_camera_info(right_info))
    want_points = "points2" in wanted
    for image in (left_image, right_image):
        require_intensity(image.encoding)  # before reading: the message lists input encodings
    frame = processor.process(array_from_image(left_image), left_image.encoding,
                              array_from_image(right_image), right_image.encoding, geometry,
                              want_depth="depth" in wanted, want_points=want_points,
                              want_rgb=want_points and layout.has_color,
                              want_confidence="confidence" in wanted)
    header = left_info.header
    messages: dict[str, object] = {}
    if "disparity" in wanted:
        bounds = processor.disparity_bounds(geometry)
        messages["disparity"] = disparity_message(
            fill_invalid(frame.disparity, bounds[0]), header, geometry, bounds,
            valid_window(processor.params, geometry.width, geometry.height),
            disparity_step(processor.params))
    if "depth" in wanted:
        messages["depth"] = image_message(frame.depth, "32FC1", header)
    if want_points:
        messages["points2"] = cloud_message(frame.points, header, layout, frame.rgb)
    if "confidence" in wanted:
        messages["confidence"] = image_message(frame.confidence, "32FC1", header)
    return messages
