"""Conversion between ROS 2 messages and the core's arrays and calibrations.

Used by the node, by the bag tools (through rclpy's CDR serialization), by
the demo and by tests.
"""

from __future__ import annotations

import numpy as np
from sensor_msgs.msg import CameraInfo, Image, PointCloud2, PointField
from std_msgs.msg import Header
from stereo_msgs.msg import DisparityImage

from stereo_depth_node.geometry import CameraCalibration, StereoGeometry
from stereo_depth_node.image_encoding import array_to_image_fields, image_to_array
from stereo_depth_node.matcher import ValidWindow
from stereo_depth_node.point_cloud import FLOAT32, CloudLayout, pack_cloud


def stamp_ns(header: Header) -> int:
    """A header's stamp as integer nanoseconds."""
    return header.stamp.sec * 1_000_000_000 + header.stamp.nanosec


def calibration_from_camera_info(info: CameraInfo) -> CameraCalibration:
    """The rectified calibration in a ``CameraInfo`` (its ``P``, size and frame)."""
    return CameraCalibration(int(info.width), int(info.height), np.asarray(info.p),
                             info.header.frame_id)


def camera_info_message(calibration: CameraCalibration, header: Header) -> CameraInfo:
    """A ``CameraInfo`` for already rectified images (identity R, no distortion)."""
    info = CameraInfo(header=header, width=calibration.width, height=calibration.height)
    info.distortion_model = "plumb_bob"
    info.d = [0.0] * 5
    info.k = calibration.P[:, :3].flatten().tolist()
    info.r = np.eye(3).flatten().tolist()
    info.p = calibration.P.flatten().tolist()
    return info


def array_from_image(image: Image) -> np.ndarray:
    """View an ``Image``'s pixels without copying (see ``image_to_array``)."""
    return image_to_array(image.data, image.height, image.width, image.encoding, image.step,
                          bool(image.is_bigendian))


def image_message(array: np.ndarray, encoding: str, header: Header) -> Image:
    """An unpadded little-endian ``Image`` holding ``array``."""
    fields = array_to_image_fields(array, encoding)
    return Image(header=header, height=fields.height, width=fields.width,
                 encoding=fields.encoding, is_bigendian=fields.is_bigendian, step=fields.step,
                 data=fields.data)


def disparity_message(disparity: np.ndarray, header: Header, geometry: StereoGeometry,
                      bounds: tuple[float, float], window: ValidWindow,
                      step: float) -> DisparityImage:
    """A ``stereo_msgs/DisparityImage``.

    Parameters
    ----------
    disparity : numpy.ndarray
        Published disparity, shape ``(H, W)``, float32, pixels, with invalid
        pixels already below ``bounds[0]``.
    bounds : tuple of float
        ``(min_disparity, max_disparity)`` in the same units as ``disparity``.
    window : ValidWindow
        Region of potentially valid disparities.
    step : float
        Resolution of the disparities, pixels (``delta_d``).
    """
    message = DisparityImage(header=header)
    message.image = image_message(disparity, "32FC1", header)
    message.f = geometry.fx
    message.t = geometry.baseline
    message.valid_window.x_offset = window.x_offset
    message.valid_window.y_offset = window.y_offset
    message.valid_window.width = window.width
    message.valid_window.height = window.height
    message.min_disparity = float(bounds[0])
    message.max_disparity = float(bounds[1])
    message.delta_d = float(step)
    return message


def cloud_message(points: np.ndarray, header: Header, layout: CloudLayout,
                  rgb: np.ndarray | None = None) -> PointCloud2:
    """An organized ``PointCloud2`` (``height`` rows of ``width`` points, NaN where invalid)."""
    height, width = points.shape[:2]
    return PointCloud2(
        header=header, height=height, width=width,
        fields=[PointField(name=name, offset=offset, datatype=FLOAT32, count=1)
                for name, offset in layout.fields],
        is_bigendian=False, point_step=layout.point_step,
        row_step=layout.point_step * width, is_dense=False,
        data=pack_cloud(points, layout, rgb))


def disparity_from_message(message: DisparityImage) -> np.ndarray:
    """Disparity of a ``DisparityImage`` as a new float32 ``(H, W)`` array, pixels.

    Pixels below ``min_disparity`` (the message's mark for "invalid") become NaN.
    """
    disparity = array_from_image(message.image).astype(np.float32)
    disparity[~(disparity >= message.min_disparity)] = np.nan
    return disparity
