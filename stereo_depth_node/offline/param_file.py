# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Read the node's ROS 2 parameter YAML files outside ROS (for the offline tools and tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from stereo_depth_node.core.error_text import yaml_problem


def load_parameters(path: str | Path, node_name: str = "stereo_depth_node") -> dict[str, Any]:
    """Parameters of ``node_name`` in a ``--params-file`` style YAML file.

    Every top-level key that applies to the node is merged in file order:
    ``/**``, ``node_name``, ``/node_name`` or any ``/namespace/node_name``.

    Raises
    ------
    ValueError
        The file is not valid YAML (the message gives line and column) or has no
        ``ros__parameters`` for the node.
    OSError
        The file cannot be read.
    """
    try:
        document = yaml.safe_load(Path(path).read_bytes())  # PyYAML detects the encoding
    except yaml.YAMLError as error:
        raise ValueError(yaml_problem(path, error)) from None
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a mapping of node names to ros__parameters")
    parameters: dict[str, Any] = {}
    for key, section in document.items():
        applies = key == "/**" or str(key).strip("/").split("/")[-1] == node_name
        if applies and isinstance(section, dict) and isinstance(
                section.get("ros__parameters"), dict):
            parameters.update(section["ros__parameters"])
    if not parameters:
        raise ValueError(f"{path}: no ros__parameters for '/**' or '{node_name}'")
    return parameters
