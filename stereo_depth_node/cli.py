# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""``stereo-depth``: the node's core on image files and rosbag2 files.

Subcommands:

* ``compute LEFT RIGHT --out DIR``: one image pair (the OpenCV tutorial's workflow);
* ``replay BAG``: publish a bag with its original timing;
* ``process BAG --out OUT_BAG``: run the core over a bag and write a new bag;
* ``batch BAG_OR_DIR... --out DIR``: the same for many bags, in windows, on local
  worker processes, a Dask cluster or a Ray cluster; resumable.

Matcher parameters have the node's names: ``--params FILE`` reads the node's
YAML, the shortcuts below and ``--set NAME=VALUE`` override it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import yaml

from stereo_depth_node.core.error_text import one_line, yaml_reason
from stereo_depth_node.core.geometry import CameraCalibration
from stereo_depth_node.core.parameters import (
    PARAMETERS,
    MatcherParams,
    NodeSettings,
    ParameterSpec,
    parse_parameters,
)
from stereo_depth_node.offline.memory_limit import DEFAULT_MAX_MEMORY_GB
from stereo_depth_node.offline.param_file import load_parameters

if TYPE_CHECKING:  # imported where used: bag tools need rclpy and rosbags
    from stereo_depth_node.ros.bag_process import ProcessOptions

# The parameters with a command-line shortcut (OpenCV's names: --num-disparities ...).
SHORTCUTS = tuple(spec for spec in PARAMETERS.values() if spec.option is not None)


# Parameters every rclpy node has, which a node's parameter file may set.
RCLPY_PARAMETERS = frozenset({"use_sim_time", "qos_overrides", "start_type_description_service"})


class CommandError(Exception):
    """A problem with the user's input, reported as one line and exit code 2."""


def add_matcher_options(parser: argparse.ArgumentParser) -> None:
    """Options that set matcher parameters (shared by ``compute`` and ``process``)."""
    group = parser.add_argument_group("matcher parameters (the node's names and ranges)")
    group.add_argument("--params", type=Path, metavar="FILE",
                       help="the node's parameter YAML (ros__parameters), e.g. config/*.yaml")
    for spec in SHORTCUTS:
        group.add_argument(f"--{str(spec.option).replace('_', '-')}", dest=spec.option,
                           choices=spec.labels or None, metavar=None if spec.labels else "N",
                           help=f"{spec.name}: {spec.description}")
    group.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                       help="any node parameter, e.g. --set prefilter_cap=63 (repeatable)")


def parameters_from_args(args: argparse.Namespace) -> tuple[MatcherParams, NodeSettings]:
    """The node's parameters the options give: file, then shortcuts, then ``--set``.

    Names and values are checked: a name that is no parameter of the node (a
    typo) and a value outside its parameter's range are errors; rclpy's own
    parameters in a file (``use_sim_time``, ``qos_overrides`` ...) are ignored.
    """
    values: dict[str, Any] = {}
    try:
        if args.params is not None:
            values.update((name, value) for name, value in load_parameters(args.params).items()
                          if name not in RCLPY_PARAMETERS)
        for spec in SHORTCUTS:
            given = getattr(args, str(spec.option))
            if given is not None:
                values[spec.name] = _shortcut_value(spec, given)
        for assignment in args.set:
            name, separator, text = assignment.partition("=")
            if not separator:
                raise ValueError(f"--set {assignment!r}: expected NAME=VALUE")
            try:
                values[name.strip()] = yaml.safe_load(text)
            except yaml.YAMLError as error:
                raise ValueError(f"--set {assignment!r}: the value is not valid YAML: "
                                 f"{yaml_reason(error)}") from None
        return parse_parameters(values)
    except OSError as error:
        raise CommandError(f"cannot read {error.filename or args.params}: "
                           f"{error.strerror or error}") from None
    except (ValueError, KeyError) as error:
        raise CommandError(str(error)) from None


def _shortcut_value(spec: ParameterSpec, text: str) -> int | float:
    """The value a shortcut option's text gives: a label's index, else a number."""
    if spec.labels:
        return spec.labels.index(text)
    return int(text) if spec.type is int else float(text)


def calibration_from_args(args: argparse.Namespace, image_size: Callable[[], tuple[int, int]]
                          ) -> tuple[CameraCalibration, CameraCalibration] | None:
    """The pair's calibration from ``--calib`` or ``--focal``/``--baseline``, if given.

    ``image_size()`` gives ``(width, height)``: with ``--focal`` the principal
    point is the image centre (and ``cx_right = cx_left + doffs``).
    """
    from stereo_depth_node.core.geometry import rectified_calibrations
    from stereo_depth_node.offline.calibration_files import (
        read_camera_info_yaml,
        read_middlebury_calib,
    )

    try:
        if args.calib:
            if len(args.calib) == 1:
                return read_middlebury_calib(args.calib[0])
            if len(args.calib) == 2:
                return read_camera_info_yaml(args.calib[0]), read_camera_info_yaml(args.calib[1])
            raise ValueError("--calib takes a Middlebury calib.txt or two camera_info YAML files")
    except OSError as error:
        where = f" {error.filename}" if error.filename else ""
        raise CommandError(f"cannot read calibration{where}: {error.strerror or error}") from None
    except ValueError as error:
        raise CommandError(str(error)) from None
    if args.focal is None and args.baseline is None:
        return None
    if args.focal is None or args.baseline is None:
        raise CommandError("--focal and --baseline go together")
    width, height = image_size()
    cx = (width - 1) / 2
    try:
        return rectified_calibrations(width, height, args.focal, cx, (height - 1) / 2,
                                      args.baseline, cx_right=cx + args.doffs)
    except ValueError as error:
        raise CommandError(str(error)) from None


def _run_compute(args: argparse.Namespace) -> int:
    from stereo_depth_node.offline.compute import compute_to_files, image_size

    params, _ = parameters_from_args(args)
    if not args.max_memory_gb > 0:
        raise CommandError(f"--max-memory-gb {args.max_memory_gb} must be more than 0")
    try:
        calibration = calibration_from_args(args, lambda: image_size(args.left))
        result = compute_to_files(args.left, args.right, args.out, params, calibration,
                                  args.max_memory_gb)
    except ValueError as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot write {args.out}: {error.strerror or error}") from None
    disparity = result.matcher_disparity
    known = disparity[disparity != float("inf")]
    print(f"{disparity.shape[1]}x{disparity.shape[0]}: estimates for "
          f"{100 * known.size / disparity.size:.1f} % of pixels"
          + (f", disparity {known.min():.2f}..{known.max():.2f} px" if known.size else ""))
    for path in result.files:
        print(f"wrote {path}")
    if args.show:
        _show(args.left, result.matcher_disparity)
    return 0


def _show(left_path: Path, disparity: Any) -> None:
    """Left image and disparity side by side, as the tutorial shows them."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or
                                                 os.environ.get("WAYLAND_DISPLAY")):
        print("--show: no display here (DISPLAY is not set); the files are written")
        return
    import cv2
    import matplotlib.pyplot as plt
    import numpy as np

    left = cv2.imread(str(left_path), cv2.IMREAD_GRAYSCALE)
    figure, (image_axes, disparity_axes) = plt.subplots(1, 2, figsize=(12, 5))
    image_axes.imshow(left, "gray")
    image_axes.set_title(str(left_path))
    disparity_axes.imshow(np.where(np.isfinite(disparity), disparity, np.nan), "gray")
    disparity_axes.set_title("disparity (px)")
    plt.show()


def _run_replay(args: argparse.Namespace) -> int:
    import rclpy

    from stereo_depth_node.ros.bag_io import BagError
    from stereo_depth_node.ros.bag_replay import ReplayOptions, parse_remap, replay_bag

    try:
        remaps = dict(parse_remap(text) for text in args.remap)
    except ValueError as error:
        raise CommandError(str(error)) from None
    options = ReplayOptions(rate=args.rate, loop=args.loop, delay=args.delay,
                            topics=args.topics, remaps=remaps)
    rclpy.init(args=[])  # the options are ours: rcl must not read --remap as its own rule
    node = rclpy.create_node("stereo_depth_replay")
    published = []
    try:
        replay_bag(node, args.bag, options, on_message=lambda topic, _: published.append(topic),
                   keep_running=rclpy.ok)
    except BagError as error:
        raise CommandError(str(error)) from None
    except KeyboardInterrupt:
        pass
    except Exception:
        if rclpy.ok():
            raise  # Ctrl-C shuts the context down, and a publish racing it fails: no error
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
    print(f"published {len(published)} messages from {args.bag}")
    return 0


def _process_options(args: argparse.Namespace) -> ProcessOptions:
    """ProcessOptions from ``process``'s and ``batch``'s shared options."""
    from stereo_depth_node.ros.bag_process import ProcessOptions
    from stereo_depth_node.ros.roles import STEREO_DEPTH

    params, settings = parameters_from_args(args)
    # the node's input names with these settings (image_raw with rectify), absolute
    defaults = [f"/{topic}" for topic in STEREO_DEPTH.inputs(settings)[0][:4]]
    given = (args.left_image, args.left_info, args.right_image, args.right_info)
    topics = cast(tuple[str, str, str, str],
                  tuple(topic or default for topic, default in zip(given, defaults)))
    return ProcessOptions(
        input_topics=topics, params=params, settings=settings,
        output_prefix=args.output_prefix.rstrip("/"), include_inputs=args.include_inputs,
        storage=args.format,
        outputs=("disparity", "depth", "points2") + (("confidence",) if args.confidence
                                                       else ()))


def _run_process(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from stereo_depth_node.ros.bag_io import BagError, BagReader
    from stereo_depth_node.ros.bag_process import process_bag, resolve_input_topics

    try:
        options = _process_options(args)
        with BagReader(args.bag) as reader:
            total = sum(reader.counts.get(t, 0)
                        for t in resolve_input_topics(reader, options.input_topics)[0])
        with tqdm(total=total, unit="msg", disable=None, desc="process") as bar:
            try:
                summary = process_bag(args.bag, args.out, options, progress=bar.update)
            except BaseException:
                bar.leave = False  # on a terminal: the error line alone, no half-full bar
                raise
    except (BagError, ValueError) as error:
        raise CommandError(str(error)) from None
    for line in summary.lines():
        print(line)
    print(f"wrote {args.out} ({args.format})")
    return 0


def _engine(args: argparse.Namespace) -> Any:
    """The engine the options ask for."""
    if args.scheduler and args.ray_address:
        raise CommandError("give --scheduler (Dask) or --ray-address (Ray), not both")
    if args.workers is not None and (args.scheduler or args.ray_address):
        raise CommandError("--workers is for local processes; on a cluster its workers run "
                           "the windows")
    if args.workers is not None and args.workers < 1:
        raise CommandError(f"--workers must be at least 1, not {args.workers}")
    if args.scheduler:
        from stereo_depth_node.batch.engines import DaskEngine

        return DaskEngine(args.scheduler)
    if args.ray_address:
        from stereo_depth_node.batch.engines import RayEngine

        return RayEngine(args.ray_address)
    from stereo_depth_node.batch.engines import LocalEngine

    return LocalEngine(args.workers)


# What installs a library that batch imports only when asked for (setup.py's extras).
BATCH_EXTRAS = {"distributed": "dask", "dask": "dask", "ray": "ray", "fsspec": "s3", "s3fs": "s3"}


def _not_installed(error: ImportError) -> str:
    """The one-line error for an engine or file system that is not installed."""
    # fsspec names no module when it lacks a file system's library: its text does
    top = (error.name or ("s3fs" if "s3fs" in str(error) else "")).partition(".")[0]
    extra = BATCH_EXTRAS.get(top)
    if extra is None:
        raise error
    return f"{top} is not installed: pip install stereo_depth_node[{extra}]"


def _run_batch(args: argparse.Namespace) -> int:
    from stereo_depth_node.batch.options import BatchOptions
    from stereo_depth_node.batch.run import run_batch
    from stereo_depth_node.ros.bag_io import BagError

    try:
        options = BatchOptions(_process_options(args), args.out, args.window_sets,
                               round(args.halo * 1e9), args.merge, args.scratch)
        engine = _engine(args)
    except ValueError as error:
        raise CommandError(str(error)) from None
    except ImportError as error:
        raise CommandError(_not_installed(error)) from None
    except OSError as error:  # a scheduler or cluster that does not answer
        raise CommandError(f"cannot reach the cluster: {error}") from None
    try:
        summary = run_batch(args.bags, options, engine, args.progress)
    except (BagError, ValueError) as error:
        raise CommandError(str(error)) from None
    except ImportError as error:  # a URL whose file system is not installed
        raise CommandError(_not_installed(error)) from None
    finally:
        engine.close()
    return summary.exit_status


def build_parser() -> argparse.ArgumentParser:
    """The ``stereo-depth`` argument parser."""
    parser = argparse.ArgumentParser(prog="stereo-depth", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    _add_compute_command(commands)
    _add_replay_command(commands)
    _add_process_command(commands)
    _add_batch_command(commands)
    return parser


Subcommands = argparse._SubParsersAction  # the type add_subparsers returns


def _add_compute_command(commands: Subcommands) -> None:
    compute = commands.add_parser("compute", help="disparity, depth and cloud from two images")
    compute.add_argument("left", type=Path, help="left (reference) rectified image")
    compute.add_argument("right", type=Path, help="right rectified image")
    compute.add_argument("--out", type=Path, required=True, help="output folder")
    calib = compute.add_argument_group("calibration (for depth.pfm, depth.png and cloud.ply)")
    calib.add_argument("--calib", type=Path, nargs="+", metavar="FILE",
                       help="a Middlebury calib.txt, or left and right camera_info YAML files")
    calib.add_argument("--focal", type=float, metavar="PX", help="focal length, pixels")
    calib.add_argument("--baseline", type=float, metavar="M", help="baseline, metres")
    calib.add_argument("--doffs", type=float, default=0.0, metavar="PX",
                       help="cx_right - cx_left, pixels (Middlebury's doffs; default 0)")
    compute.add_argument("--show", action="store_true",
                         help="show the left image and the disparity with matplotlib")
    compute.add_argument("--max-memory-gb", type=float, default=DEFAULT_MAX_MEMORY_GB,
                         metavar="GB",
                         help="refuse pairs whose estimated peak memory is above this, before "
                              f"decoding or matching them (default {DEFAULT_MAX_MEMORY_GB:g})")
    add_matcher_options(compute)
    compute.set_defaults(run=_run_compute)


def _add_replay_command(commands: Subcommands) -> None:
    replay = commands.add_parser("replay", help="publish a rosbag2 with its original timing")
    replay.add_argument("bag", type=Path, help="rosbag2 folder (sqlite3 or mcap)")
    replay.add_argument("--rate", type=float, default=1.0, help="speed factor (default 1)")
    replay.add_argument("--loop", action="store_true", help="start over at the end")
    replay.add_argument("--delay", type=float, default=0.0, metavar="SECONDS",
                        help="wait before the first message, for subscribers to connect")
    replay.add_argument("--topics", nargs="+", metavar="TOPIC", help="only these topics")
    replay.add_argument("--remap", action="append", default=[], metavar="OLD:=NEW",
                        help="publish a recorded topic under another name (repeatable)")
    replay.set_defaults(run=_run_replay)


def _add_process_options(parser: argparse.ArgumentParser) -> None:
    """Topics, outputs and matcher options: ``process``'s and ``batch``'s."""
    image_help = ("default /{0}/image_rect, /{0}/image_raw with rectify; read from its "
                  "/compressed (sensor_msgs/CompressedImage) when the bag has only that")
    parser.add_argument("--left-image", help=image_help.format("left"))
    parser.add_argument("--left-info", help="default /left/camera_info")
    parser.add_argument("--right-image", help=image_help.format("right"))
    parser.add_argument("--right-info", help="default /right/camera_info")
    parser.add_argument("--output-prefix", default="", metavar="NS",
                        help="namespace of the output topics (default: /disparity etc.)")
    parser.add_argument("--confidence", action="store_true",
                        help="also write the per-pixel confidence (32FC1, 0..1) as confidence")
    parser.add_argument("--include-inputs", action="store_true",
                        help="copy the four input topics into the output bag")
    parser.add_argument("--format", choices=("mcap", "sqlite3"), default="mcap",
                        help="storage of the output bag (default mcap)")
    add_matcher_options(parser)


def _add_process_command(commands: Subcommands) -> None:
    process = commands.add_parser("process", help="disparity, depth and points2 for a bag")
    process.add_argument("bag", type=Path, help="input rosbag2 folder (sqlite3 or mcap)")
    process.add_argument("--out", type=Path, required=True, help="output bag folder (new)")
    _add_process_options(process)
    process.set_defaults(run=_run_process)


def _add_batch_command(commands: Subcommands) -> None:
    from stereo_depth_node.batch.options import (
        DEFAULT_HALO_SECONDS,
        DEFAULT_WINDOW_SETS,
        MERGE_MODES,
        PARTIAL,
        PROGRESS_MODES,
    )

    batch = commands.add_parser(
        "batch", help="process many bags, in windows, on local workers, Dask or Ray",
        description="Every input bag becomes DIR/<bag name>/, as process writes it, and "
        f"DIR/summary.json says what happened. Exit status: 0 when every bag is complete, "
        f"{PARTIAL} when some windows failed (their bags are not merged; the summary gives "
        "the reasons), 2 for a usage error. Re-running the same command resumes.")
    batch.add_argument("bags", nargs="+", metavar="BAG_OR_DIR",
                       help="a bag (a folder with metadata.yaml, or an .mcap or .db3 file), a "
                       "folder searched for bags, or an s3:// (any fsspec) URL of either")
    batch.add_argument("--out", required=True, metavar="DIR",
                       help="output folder or URL; one bag in it per input bag")
    engines = batch.add_argument_group("where the windows run (default: local processes)")
    engines.add_argument("--workers", type=int, metavar="N",
                         help="local worker processes (default: the machine's cores)")
    engines.add_argument("--scheduler", metavar="ADDRESS",
                         help="a Dask distributed scheduler, e.g. tcp://HOST:8786")
    engines.add_argument("--ray-address", metavar="ADDRESS",
                         help="a Ray cluster's address, or auto inside a ray job")
    batch.add_argument("--window-sets", type=int, default=DEFAULT_WINDOW_SETS, metavar="N",
                       help="left images per window, the unit of work and of retries "
                       f"(default {DEFAULT_WINDOW_SETS})")
    batch.add_argument("--halo", type=float, default=DEFAULT_HALO_SECONDS, metavar="SECONDS",
                       help="bag time read beyond each window, for the messages of a set "
                       f"recorded apart from its left image (default {DEFAULT_HALO_SECONDS:g})")
    batch.add_argument("--merge", choices=MERGE_MODES, default="split",
                       help="split: the parts become a split bag, nothing copied (default); "
                       "copy: one data file a bag (local output only)")
    batch.add_argument("--progress", choices=PROGRESS_MODES, default="bar",
                       help="bar on a terminal (default), jsonl: a JSON object per window on "
                       "stdout, or none")
    batch.add_argument("--scratch", metavar="DIR",
                       help="local folder for copies of bags at URLs (default: the system's "
                       "temporary folder)")
    _add_process_options(batch)
    batch.set_defaults(run=_run_batch)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``stereo-depth`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except CommandError as error:  # one line, whatever a library's text held
        print(f"stereo-depth {args.command}: error: {one_line(str(error))}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] != "rosbags":
            raise
        print(f"stereo-depth {args.command}: error: bag files are read and written with the "
              "'rosbags' package, which is not installed: pip install rosbags (in a ROS "
              "workspace: rosdep key python3-rosbags-pip)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
