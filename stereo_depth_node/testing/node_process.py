# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Run the node as its own process on an isolated, loopback-only DDS domain.

Shared by the demo, the benchmark and the tests: each picks its own
``ROS_DOMAIN_ID``, keeps discovery on 127.0.0.1 and uses the package's Fast DDS
profile for large messages, in the node's process and in its own, or (for the
tests of a stock camera driver) no Fast DDS setting in any process.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from stereo_depth_node.ros.config_files import config_file
from stereo_depth_node.ros.dds_profile import (
    FAST_DDS_2_PROFILE_VARIABLE,
    FAST_DDS_3_PROFILE_VARIABLE,
    FAST_DDS_SETTINGS_VARIABLES,
    FASTDDS_MIXED_HOST_PROFILE,
    FASTDDS_PROFILE,
    fastdds_profile_variable,
)

# Set by the ROS wheels for their own virtual environment's libraries: a child process that
# runs another environment's interpreter must not inherit them.
WHEEL_VARIABLES = ("LD_LIBRARY_PATH", "_ROS_WHEELS_BOOTSTRAP_COMPLETE")


def isolate_ros_environment(domain_id: int, profile: str = FASTDDS_PROFILE) -> dict[str, str]:
    """Set (in ``os.environ``) and return the variables of an isolated DDS domain.

    ``profile`` (a file in ``config/``) is set in the variable this process's
    Fast DDS reads; the mixed-host profile in both variables, for children of
    either Fast DDS major version. Must run before ``rclpy.init()`` in this
    process; the returned mapping is the complete environment for child processes.
    """
    environment = ros_environment(domain_id, profile)
    os.environ.update(environment)
    return environment


def ros_environment(domain_id: int, profile: str | None = FASTDDS_PROFILE) -> dict[str, str]:
    """The environment of this process with an isolated DDS domain's variables; not applied.

    ``profile`` as in :func:`isolate_ros_environment`; None leaves every Fast DDS
    setting out (no profile variable, no built-in transports), as a stock driver runs.
    """
    check_domain_id(domain_id)
    environment = {name: value for name, value in os.environ.items()
                   if name not in FAST_DDS_SETTINGS_VARIABLES}
    environment.update({"ROS_DOMAIN_ID": str(domain_id),
                        "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
                        "RMW_IMPLEMENTATION": "rmw_fastrtps_cpp"})
    if profile is not None:
        variables = (FAST_DDS_3_PROFILE_VARIABLE, FAST_DDS_2_PROFILE_VARIABLE) \
            if profile == FASTDDS_MIXED_HOST_PROFILE else (fastdds_profile_variable(),)
        environment.update(dict.fromkeys(variables, str(config_file(profile))))
    return environment


def check_domain_id(domain_id: int) -> int:
    """``domain_id`` if ROS allows it on every platform (0..101), else ValueError saying so."""
    if not 0 <= domain_id <= 101:
        raise ValueError(f"ROS_DOMAIN_ID {domain_id} is outside 0..101, the domain ids ROS 2 "
                         "allows on every platform")
    return domain_id


def domain_id_argument(text: str) -> int:
    """An ``argparse`` type for ``--domain-id``: one line naming the allowed range on error."""
    try:
        return check_domain_id(int(text))
    except ValueError as error:
        message = str(error) if text.strip().lstrip("-").isdigit() else \
            f"{text!r} is not a whole number"
        raise argparse.ArgumentTypeError(message) from None


def environment_for(python: str, env: dict[str, str]) -> dict[str, str]:
    """``env`` for a child process that runs ``python``.

    Without this environment's wheel variables when ``python`` belongs to
    another virtual environment (another ROS distribution).
    """
    if python == sys.executable:
        return env
    return {name: value for name, value in env.items() if name not in WHEEL_VARIABLES}


class NodeProcess:
    """The ``stereo_depth_node`` node running in a child process.

    Parameters
    ----------
    params_file : Path, optional
        A ``--params-file`` for the node.
    parameters : dict, optional
        ``-p name:=value`` overrides.
    env : dict, optional
        Environment of the child (see :func:`isolate_ros_environment`).
    ros_args : list of str, optional
        More ``--ros-args`` arguments (remappings).
    python : str, optional
        The interpreter to run the node with (another virtual environment's,
        for a node of another ROS distribution); this one's by default.
    role : str, optional
        Which of the package's nodes: ``stereo_depth_node`` (default),
        ``disparity_node`` or ``point_cloud_node``.
    """

    def __init__(self, params_file: Path | None = None,
                 parameters: dict[str, object] | None = None,
                 env: dict[str, str] | None = None, ros_args: list[str] | None = None,
                 python: str = sys.executable, role: str = "stereo_depth_node") -> None:
        command = [python, "-m", "stereo_depth_node.ros.node", "--role", role, "--ros-args"]
        if params_file is not None:
            command += ["--params-file", str(params_file)]
        for name, value in (parameters or {}).items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            command += ["-p", f"{name}:={text}"]
        command += ros_args or []
        self._log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(command, env=None if env is None else
                                        environment_for(python, env), stdout=self._log,
                                        stderr=subprocess.STDOUT)

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10.0) -> int:
        """Send ``sig`` and wait; return the exit code (killing it after ``timeout``)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def output(self) -> str:
        """Everything the node has printed so far."""
        self._log.flush()
        self._log.seek(0)
        return self._log.read()

    def __enter__(self) -> "NodeProcess":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        self._log.close()
