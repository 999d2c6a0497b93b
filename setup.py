from glob import glob

from setuptools import find_packages, setup

package_name = "stereo_depth_node"

setup(
    name=package_name,
    version="0.1.0",
    packages=find_packages(include=[package_name, f"{package_name}.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{package_name}"]),
        (f"share/{package_name}", ["package.xml"]),
        (f"share/{package_name}/launch", glob("launch/*.launch.py")),
        (f"share/{package_name}/config", glob("config/*.yaml") + glob("config/*.xml")),
    ],
    install_requires=["setuptools"],
    zip_safe=True,
    maintainer="stereo_depth_node maintainers",
    maintainer_email="maintainers@stereo-depth-node.invalid",
    description="Stereo disparity, depth and point clouds for ROS 2.",
    license="Apache-2.0",
    entry_points={
        "console_scripts": [
            "stereo_depth_node = stereo_depth_node.ros.node:main",
            "stereo-depth = stereo_depth_node.cli:main",
        ],
    },
)
