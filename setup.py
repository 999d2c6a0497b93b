# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
from glob import glob
from pathlib import Path
from xml.etree import ElementTree

from setuptools import find_packages, setup

package_name = "stereo_depth_node"
# Name, version, maintainer, licence and URL are package.xml's: one place to edit them.
manifest = ElementTree.parse(Path(__file__).with_name("package.xml")).getroot()
maintainer = manifest.find("maintainer")

setup(
    name=manifest.findtext("name"),
    version=manifest.findtext("version"),
    packages=find_packages(include=[package_name, f"{package_name}.*"]),
    data_files=[
        ("share/ament_index/resource_index/packages", [f"resource/{package_name}"]),
        (f"share/{package_name}", ["package.xml", "LICENSE"]),
        (f"share/{package_name}/launch", glob("launch/*.launch.py")),
        (f"share/{package_name}/config", glob("config/*.yaml") + glob("config/*.xml")),
    ],
    install_requires=["setuptools"],
    # stereo-depth batch's engines and object storage (pip install stereo_depth_node[dask] ...)
    extras_require={"dask": ["dask[distributed]"], "ray": ["ray"], "s3": ["s3fs"]},
    zip_safe=True,
    maintainer=maintainer.text,
    maintainer_email=maintainer.get("email"),
    url=manifest.findtext("url[@type='website']"),
    description=" ".join(manifest.findtext("description").split()),
    license=manifest.findtext("license"),
    entry_points={
        "console_scripts": [
            "stereo_depth_node = stereo_depth_node.ros.node:main",
            "disparity_node = stereo_depth_node.ros.node:disparity_node",
            "point_cloud_node = stereo_depth_node.ros.node:point_cloud_node",
            "stereo-depth = stereo_depth_node.cli:main",
        ],
    },
)
