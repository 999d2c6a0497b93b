# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Where the package's ``config/`` files are: the source tree's, else the installed share."""

from __future__ import annotations

from pathlib import Path

SOURCE_CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"


def config_file(name: str) -> Path:
    """Path of a file in the package's ``config/``: the source tree's, else the installed share.

    Raises
    ------
    FileNotFoundError
        The file is in neither place.
    """
    source = SOURCE_CONFIG_DIR / name
    if source.is_file():
        return source
    try:
        from ament_index_python.packages import get_package_share_directory

        installed = Path(get_package_share_directory("stereo_depth_node")) / "config" / name
    except (ImportError, LookupError, OSError) as error:
        raise FileNotFoundError(
            f"config file {name!r} is not in {SOURCE_CONFIG_DIR}: {error}") from None
    if not installed.is_file():
        raise FileNotFoundError(
            f"config file {name!r} is in neither {SOURCE_CONFIG_DIR} nor {installed}")
    return installed
