# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""stereo_image_proc's launch file, with this package's two nodes: switch by package name.

The same launch arguments as image_pipeline's ``stereo_image_proc.launch.py``, with the
same defaults (those of :mod:`stereo_depth_node.core.parameters`, which are
stereo_image_proc's), start ``disparity_node`` and ``point_cloud_node`` in ``namespace``:
the disparity from ``<left_namespace>/image_rect`` and ``<right_namespace>/image_rect``
(mono), the cloud's colours from ``<left_namespace>/image_rect_color``, and both cameras'
``camera_info``. With ``launch_image_proc`` (default true, as upstream) image_proc's own
launch file debayers and rectifies each camera in a component container (``container``,
or one started here), so a raw camera works as it does with stereo_image_proc.

Example::

    ros2 launch stereo_depth_node stereo_image_proc.launch.py namespace:=stereo \
        approximate_sync:=True use_color:=False

Arguments besides upstream's: ``approximate_sync_tolerance_seconds`` and ``queue_size``.
"""

from launch.actions import (
    DeclareLaunchArgument,
    GroupAction,
    IncludeLaunchDescription,
    SetLaunchConfiguration,
)
from launch.conditions import IfCondition
from launch.launch_description import LaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution, PythonExpression
from launch_ros.actions import ComposableNodeContainer, Node, PushRosNamespace
from launch_ros.substitutions import FindPackageShare

from stereo_depth_node.core.parameters import PARAMETERS

PACKAGE = "stereo_depth_node"
CONTAINER = "stereo_image_proc_container"
# stereo_image_proc's parameters of each node, passed from launch arguments of the same name.
DISPARITY_PARAMETERS = (
    "approximate_sync", "approximate_sync_tolerance_seconds", "queue_size", "stereo_algorithm",
    "prefilter_size", "prefilter_cap", "correlation_window_size", "min_disparity",
    "disparity_range", "texture_threshold", "speckle_size", "speckle_range", "disp12_max_diff",
    "uniqueness_ratio", "P1", "P2", "sgbm_mode")
POINT_CLOUD_PARAMETERS = ("approximate_sync", "approximate_sync_tolerance_seconds",
                          "queue_size", "avoid_point_cloud_padding", "use_color")


def parameter_argument(name: str) -> DeclareLaunchArgument:
    """A launch argument for one node parameter: its default and description, defined once."""
    spec = PARAMETERS[name]
    default = str(spec.default)  # True / False, as upstream writes them; numbers as numbers
    return DeclareLaunchArgument(name, default_value=default,
                                 description=f"{spec.description} Allowed: {spec.allowed()}.")


def camera_topic(camera: str, topic: str) -> list:
    """``<camera>_namespace/<topic>`` as a launch substitution."""
    return [LaunchConfiguration(f"{camera}_namespace"), f"/{topic}"]


def image_proc(camera: str) -> GroupAction:
    """image_proc's launch file for one camera, into the container, when launch_image_proc."""
    return GroupAction([
        PushRosNamespace(LaunchConfiguration("namespace")),
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(
                PathJoinSubstitution([FindPackageShare("image_proc"), "launch",
                                      "image_proc.launch.py"])),
            launch_arguments={"container": LaunchConfiguration("container"),
                              "namespace": LaunchConfiguration(f"{camera}_namespace")}.items()),
    ], condition=IfCondition(LaunchConfiguration("launch_image_proc")))


def generate_launch_description() -> LaunchDescription:
    arguments = [
        DeclareLaunchArgument("launch_image_proc", default_value="True",
                              description="Start image_proc's debayer and rectify nodes for "
                                          "both cameras."),
        DeclareLaunchArgument("namespace", default_value="",
                              description="Namespace of the nodes and their topics."),
        DeclareLaunchArgument("left_namespace", default_value="left",
                              description="Namespace of the left camera."),
        DeclareLaunchArgument("right_namespace", default_value="right",
                              description="Namespace of the right camera."),
        DeclareLaunchArgument("container", default_value="",
                              description="An existing component container for image_proc's "
                                          "nodes; if unset, one is started."),
        *(parameter_argument(name) for name in dict.fromkeys(DISPARITY_PARAMETERS +
                                                             POINT_CLOUD_PARAMETERS)),
    ]
    disparity = Node(
        package=PACKAGE, executable="disparity_node", namespace=LaunchConfiguration("namespace"),
        parameters=[{name: LaunchConfiguration(name) for name in DISPARITY_PARAMETERS}],
        remappings=[("left/image_rect", camera_topic("left", "image_rect")),
                    ("left/camera_info", camera_topic("left", "camera_info")),
                    ("right/image_rect", camera_topic("right", "image_rect")),
                    ("right/camera_info", camera_topic("right", "camera_info"))],
        output="screen")
    point_cloud = Node(
        package=PACKAGE, executable="point_cloud_node",
        namespace=LaunchConfiguration("namespace"),
        parameters=[{name: LaunchConfiguration(name) for name in POINT_CLOUD_PARAMETERS}],
        remappings=[("left/image_rect_color", camera_topic("left", "image_rect_color")),
                    ("left/camera_info", camera_topic("left", "camera_info")),
                    ("right/camera_info", camera_topic("right", "camera_info"))],
        output="screen")
    no_container = PythonExpression(["'", LaunchConfiguration("container"), "' == ''"])
    starts_container = PythonExpression(["'", LaunchConfiguration("launch_image_proc"),
                                         "'.lower() == 'true' and '",
                                         LaunchConfiguration("container"), "' == ''"])
    container = [
        ComposableNodeContainer(condition=IfCondition(starts_container),
                                package="rclcpp_components", executable="component_container",
                                name=CONTAINER, namespace="", composable_node_descriptions=[]),
        SetLaunchConfiguration("container", f"/{CONTAINER}", condition=IfCondition(no_container)),
    ]
    return LaunchDescription([*arguments, disparity, point_cloud, *container,
                              image_proc("left"), image_proc("right")])
