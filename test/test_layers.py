# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The package's layers hold: core is ROS-free, nothing in the runtime imports the harness."""

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "stereo_depth_node"

# What each layer may import from the package (besides itself).
ALLOWED = {
    "core": {"core"},
    "offline": {"core", "offline"},
    "ros": {"core", "ros"},
    "batch": {"core", "ros", "batch"},
    "cli": {"core", "offline", "ros", "batch"},
    "testing": {"core", "offline", "ros", "testing"},
    "demo": {"core", "offline", "ros", "testing"},
}

# Imported by no module of core/ or offline/, at module level or inside a function.
ROS_PACKAGES = ("rclpy", "rosbags", "launch", "launch_ros", "launch_testing",
                "ament_index_python", "builtin_interfaces", "rcl_interfaces")


def modules(layer):
    folder = PACKAGE_DIR / layer
    return sorted(f"stereo_depth_node.{layer}.{path.stem}" for path in folder.glob("*.py")
                  if path.stem != "__init__")


def layer_of(path):
    relative = path.relative_to(PACKAGE_DIR)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported_names(path):
    """Every module name an import statement in ``path`` names (anywhere in the file)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_every_layer_imports_only_the_layers_below_it():
    wrong = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if path.stem == "__init__" and path.parent == PACKAGE_DIR:
            continue
        layer = layer_of(path)
        for name in imported_names(path):
            parts = name.split(".")
            if parts[0] == "stereo_depth_node" and len(parts) > 1:
                target = parts[1]
                if target != layer and target not in ALLOWED[layer]:
                    wrong.append(f"{path.relative_to(PACKAGE_DIR)} imports {name}")
    assert wrong == []


@pytest.mark.parametrize("layer", ["core", "offline"])
def test_core_and_offline_name_no_ros_package(layer):
    wrong = [f"{path.name} imports {name}"
             for path in sorted((PACKAGE_DIR / layer).glob("*.py"))
             for name in imported_names(path)
             if name.split(".")[0] in ROS_PACKAGES or name.split(".")[0].endswith("_msgs")]
    assert wrong == []


BLOCKER = textwrap.dedent("""
    import importlib, importlib.abc, sys

    class Blocker(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            top = name.split(".")[0]
            if (top in {blocked!r} or top.endswith("_msgs") or
                    name.startswith("stereo_depth_node.testing")):
                raise ImportError(f"blocked: {{name}}")
            return None

    sys.meta_path.insert(0, Blocker())
    for module in {modules!r}:
        importlib.import_module(module)
    print("imported", len({modules!r}))
""")


def test_core_and_offline_import_with_ros_and_the_harness_blocked():
    names = modules("core") + modules("offline")
    code = BLOCKER.format(blocked=ROS_PACKAGES, modules=names)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"imported {len(names)}"
    assert "stereo_depth_node.core.processor" in names
    assert "stereo_depth_node.offline.compute" in names


def test_the_blocker_blocks():
    code = BLOCKER.format(blocked=ROS_PACKAGES, modules=["stereo_depth_node.ros.messages"])
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "blocked: " in result.stderr


def test_numba_is_loaded_only_by_the_census_kernels():
    names = [name for name in modules("core") + modules("offline")
             if name != "stereo_depth_node.core.census_kernels"]
    code = BLOCKER.format(blocked=("numba", "llvmlite"), modules=names)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "stereo_depth_node.core.census" in names
