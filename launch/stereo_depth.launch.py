# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Launch ``stereo_depth_node`` with its parameters file, input remappings and Fast DDS profile.

The node subscribes ``left/image_rect``, ``left/camera_info``, ``right/image_rect`` and
``right/camera_info`` and publishes ``disparity``, ``depth``, ``points2`` and ``confidence``,
all relative to its namespace. This launch file puts the node in ``namespace``, loads
``params_file``, remaps the four inputs (by default into ``left_namespace`` and
``right_namespace``) and gives the node's process the Fast DDS profile for large messages.

Examples
--------
Run with the defaults (stereo_image_proc's parameters, inputs ``/left/...`` and ``/right/...``)::

    ros2 launch stereo_depth_node stereo_depth.launch.py

A namespaced rig with its own parameters: inputs ``/stereo/left/image_rect`` etc.,
outputs ``/stereo/disparity``, ``/stereo/depth`` and ``/stereo/points2``::

    ros2 launch stereo_depth_node stereo_depth.launch.py namespace:=stereo \
        params_file:=/path/to/my_stereo_depth.yaml

Cameras publishing under other names, and no Fast DDS profile (e.g. with another RMW)::

    ros2 launch stereo_depth_node stereo_depth.launch.py namespace:=stereo \
        left_namespace:=/camera/left right_namespace:=/camera/right \
        right_image:=/camera/right/image_rect_mono fastdds_profile:=none

List the arguments and their defaults::

    ros2 launch stereo_depth_node stereo_depth.launch.py --show-args

Launch arguments
----------------
namespace
    Namespace of the node and so of its relative topics (default: none).
left_namespace, right_namespace
    Where the left and right cameras' topics are, relative to ``namespace`` unless they
    start with ``/`` (default ``left`` and ``right``).
left_image, left_camera_info, right_image, right_camera_info
    The four inputs (default ``<left_namespace>/image_rect``,
    ``<left_namespace>/camera_info``, ``<right_namespace>/image_rect`` and
    ``<right_namespace>/camera_info``). With ``rectify`` or ``image_transport:
    compressed`` in the parameters the node takes each camera's ``image_raw``,
    ``image_raw/compressed`` or ``image_rect/compressed``, found in its camera namespace.
params_file
    The node's parameters (default: the installed ``config/stereo_depth.yaml``).
fastdds_profile
    Fast DDS XML profile for the node's process (default: the installed
    ``config/fastdds_large_messages.xml``), set in the variable the distribution's Fast
    DDS reads (``FASTDDS_DEFAULT_PROFILES_FILE`` from Kilted on,
    ``FASTRTPS_DEFAULT_PROFILES_FILE`` before); ``none`` (or empty, from a parent launch
    file) leaves the environment as it is, and the node then gives itself that same
    profile unless the environment chooses Fast DDS's settings (see
    ``stereo_depth_node.ros.dds_profile``). Give the camera driver the same profile.
"""

from launch.actions import (
    DeclareLaunchArgument,
    GroupAction,
    OpaqueFunction,
    SetEnvironmentVariable,
)
from launch.launch_context import LaunchContext
from launch.launch_description import LaunchDescription
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

from stereo_depth_node.ros.dds_profile import fastdds_profile_variable

PACKAGE = "stereo_depth_node"

# (argument, topic the node subscribes, camera namespace argument, topic in that namespace)
INPUTS = (
    ("left_image", "left/image_rect", "left_namespace", "image_rect"),
    ("left_camera_info", "left/camera_info", "left_namespace", "camera_info"),
    ("right_image", "right/image_rect", "right_namespace", "image_rect"),
    ("right_camera_info", "right/camera_info", "right_namespace", "camera_info"),
)
# The image topics of rectify and image_transport: compressed, each moved with its camera's
# namespace.
CAMERA_IMAGES = ("image_raw", "image_raw/compressed", "image_rect/compressed")


def fastdds_profile_environment(context: LaunchContext) -> list[SetEnvironmentVariable]:
    """Set the profile in the variable this distribution's Fast DDS reads, unless 'none'."""
    profile = LaunchConfiguration("fastdds_profile").perform(context)
    if profile.strip().lower() in ("", "none"):
        return []
    return [SetEnvironmentVariable(fastdds_profile_variable(), profile)]


def generate_launch_description() -> LaunchDescription:
    share = FindPackageShare(PACKAGE)
    arguments = [
        DeclareLaunchArgument(
            "namespace", default_value="",
            description="Namespace of the node and its relative topics."),
        DeclareLaunchArgument(
            "left_namespace", default_value="left",
            description="Namespace of the left camera's topics, relative to 'namespace' "
                        "unless it starts with '/'."),
        DeclareLaunchArgument(
            "right_namespace", default_value="right",
            description="Namespace of the right camera's topics, relative to 'namespace' "
                        "unless it starts with '/'."),
        DeclareLaunchArgument(
            "params_file",
            default_value=PathJoinSubstitution([share, "config", "stereo_depth.yaml"]),
            description="YAML file with the node's parameters."),
        DeclareLaunchArgument(
            "fastdds_profile",
            default_value=PathJoinSubstitution([share, "config", "fastdds_large_messages.xml"]),
            description="Fast DDS profile for the node's process; 'none' for no profile."),
    ]
    # Declared after the camera namespaces, so that their defaults follow them.
    arguments += [
        DeclareLaunchArgument(
            argument,
            default_value=PathJoinSubstitution([LaunchConfiguration(camera_namespace), name]),
            description=f"Topic remapped to the node's '{topic}'.")
        for argument, topic, camera_namespace, name in INPUTS
    ]

    node = GroupAction([  # scoped: the environment variable is for this node only
        OpaqueFunction(function=fastdds_profile_environment),
        Node(
            package=PACKAGE,
            executable="stereo_depth_node",
            name="stereo_depth_node",
            namespace=LaunchConfiguration("namespace"),
            parameters=[LaunchConfiguration("params_file")],
            remappings=[(topic, LaunchConfiguration(argument))
                        for argument, topic, _, _ in INPUTS] +
                       [(f"{camera}/{image}", [LaunchConfiguration(f"{camera}_namespace"),
                                               f"/{image}"])
                        for camera in ("left", "right") for image in CAMERA_IMAGES],
            output="screen",
        ),
    ])
    return LaunchDescription([*arguments, node])
