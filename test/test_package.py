# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""What a ROS workspace checks of a package (``colcon test`` runs these too).

Lint with the project's ruff configuration, a well-formed format 3 package.xml
that declares every dependency the runtime imports, the licence file it names,
and a copyright and licence line at the top of every Python file.
"""

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON_FILES = sorted(path for folder in ("stereo_depth_node", "test", "launch", "benchmarks")
                      for path in (ROOT / folder).rglob("*.py")) + [ROOT / "setup.py"]
HEADER = "# Copyright 2026 The stereo_depth_node Authors\n# SPDX-License-Identifier: Apache-2.0\n"

# The rosdep key of every package that the runtime (core, ros, offline, the CLI, the launch
# file) imports; anything else it imports must be the standard library or the package itself.
RUNTIME_KEYS = {
    "numpy": "python3-numpy", "cv2": "python3-opencv", "yaml": "python3-yaml",
    "tqdm": "python3-tqdm", "matplotlib": "python3-matplotlib", "rosbags": "python3-rosbags-pip",
    "rclpy": "rclpy", "sensor_msgs": "sensor_msgs", "stereo_msgs": "stereo_msgs",
    "std_msgs": "std_msgs", "builtin_interfaces": "builtin_interfaces",
    "rcl_interfaces": "rcl_interfaces", "diagnostic_msgs": "diagnostic_msgs",
    "ament_index_python": "ament_index_python",
    "launch": "launch", "launch_ros": "launch_ros",
    # Installed with rosbags (its dependencies), imported for the errors they raise.
    "apsw": "python3-rosbags-pip",
    "backports": "python3-rosbags-pip", "compression": "python3-rosbags-pip",  # zstd
    "PIL": "python3-pil",
    "numba": "python3-numba",  # the census matcher's kernels
    # stereo-depth batch: URLs, and its engines
    "fsspec": "python3-fsspec", "distributed": "python3-distributed", "ray": "python3-ray-pip",
}
RUNTIME_FILES = [path for path in PYTHON_FILES
                 if path.is_relative_to(ROOT / "launch") or
                 (path.is_relative_to(ROOT / "stereo_depth_node") and
                  not path.is_relative_to(ROOT / "stereo_depth_node" / "testing") and
                  path.name != "demo.py")]


def manifest():
    return ElementTree.parse(ROOT / "package.xml").getroot()


def dependencies(kind):
    return [element.text for element in manifest().iter(kind)]


def imported_top_levels(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0]


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None,
                    reason="ruff is not installed (rosdep key python3-ruff-pip)")
def test_ruff():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(importlib.util.find_spec("catkin_pkg") is None,
                    reason="catkin_pkg is not installed (rosdep key python3-catkin-pkg)")
def test_package_xml_passes_the_parser_rosdep_and_bloom_use():
    from catkin_pkg.package import parse_package

    warnings = []
    package = parse_package(str(ROOT), warnings=warnings)
    package.validate(warnings=warnings)
    assert warnings == []
    assert package.package_format == 3 and package.name == "stereo_depth_node"
    assert [str(license) for license in package.licenses] == ["Apache-2.0"]


def test_package_xml_is_format_3_in_schema_order():
    root = manifest()
    assert root.tag == "package" and root.get("format") == "3"
    order = ["name", "version", "description", "maintainer", "license", "url", "author",
             "buildtool_depend", "build_depend", "build_export_depend", "buildtool_export_depend",
             "exec_depend", "depend", "doc_depend", "test_depend", "conflict", "replace",
             "group_depend", "member_of_group", "export"]
    tags = [child.tag for child in root if isinstance(child.tag, str)]
    assert set(tags) <= set(order)
    assert tags == sorted(tags, key=order.index), "elements out of the schema's order"
    assert root.findtext("name") == "stereo_depth_node"
    assert root.find("maintainer").get("email").count("@") == 1
    assert root.find("export").findtext("build_type") == "ament_python"
    for kind in ("exec_depend", "test_depend"):
        assert len(dependencies(kind)) == len(set(dependencies(kind))), f"repeated {kind}"


def test_licence_file_is_the_one_package_xml_names():
    assert manifest().findtext("license") == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


def test_every_runtime_import_is_an_exec_dependency():
    standard = set(sys.stdlib_module_names) | {"stereo_depth_node"}
    imported = {name for path in RUNTIME_FILES for name in imported_top_levels(path)} - standard
    assert imported <= set(RUNTIME_KEYS), f"no rosdep key known for {imported - set(RUNTIME_KEYS)}"
    declared = set(dependencies("exec_depend"))
    assert {RUNTIME_KEYS[name] for name in imported} <= declared
    assert "stereo_depth_node/ros/node.py" in {str(p.relative_to(ROOT)) for p in RUNTIME_FILES}


def test_every_python_file_starts_with_copyright_and_licence():
    missing = [str(path.relative_to(ROOT)) for path in PYTHON_FILES
               if not path.read_text().removeprefix(_shebang(path)).startswith(HEADER)]
    assert missing == []


def _shebang(path):
    first = path.read_text().split("\n", 1)[0]
    return first + "\n" if first.startswith("#!") else ""
