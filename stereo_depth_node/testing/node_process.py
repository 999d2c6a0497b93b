"""Run the node as its own process on an isolated, loopback-only DDS domain.

Shared by the demo, the benchmark and the tests: each picks its own
``ROS_DOMAIN_ID``, keeps discovery on 127.0.0.1 and uses the package's Fast DDS
profile for large messages, in the node's process and in its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from stereo_depth_node.ros.config_files import config_file
from stereo_depth_node.ros.dds_profile import FASTDDS_PROFILE, fastdds_profile_variable


def isolate_ros_environment(domain_id: int) -> dict[str, str]:
    """Set (in ``os.environ``) and return the variables of an isolated DDS domain.

    Must run before ``rclpy.init()`` in this process; the returned mapping is
    the complete environment for child processes.
    """
    if not 0 <= domain_id <= 101:
        raise ValueError(f"ROS_DOMAIN_ID {domain_id} must be in 0..101")
    os.environ.update({
        "ROS_DOMAIN_ID": str(domain_id),
        "ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST",
        fastdds_profile_variable(): str(config_file(FASTDDS_PROFILE)),
        "RMW_IMPLEMENTATION": "rmw_fastrtps_cpp",
    })
    return dict(os.environ)


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
    """

    def __init__(self, params_file: Path | None = None,
                 parameters: dict[str, object] | None = None,
                 env: dict[str, str] | None = None, ros_args: list[str] | None = None) -> None:
        command = [sys.executable, "-m", "stereo_depth_node.ros.node", "--ros-args"]
        if params_file is not None:
            command += ["--params-file", str(params_file)]
        for name, value in (parameters or {}).items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            command += ["-p", f"{name}:={text}"]
        command += ros_args or []
        self._log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(command, env=env, stdout=self._log,
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
