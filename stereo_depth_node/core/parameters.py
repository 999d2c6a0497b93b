# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Every parameter of the node, defined once: name, type, default, range, meaning and flags.

Two frozen dataclasses hold them: :class:`MatcherParams` (matching and the
depth-quality stages) and :class:`NodeSettings` (synchronization, cloud layout,
QoS). Each field is declared with :func:`parameter`; the field gives the name,
type and default, :func:`parameter` the rest. :data:`MATCHER_PARAMETERS` and
:data:`NODE_PARAMETERS` are derived from the fields, and from them follow the
validation of both classes, the node's ROS parameter descriptors, the offline
tools' options and checks, and the test of the documented tables. Names and
defaults are those of ``stereo_image_proc``; every stage beyond it is off by
default, so the defaults stay a drop-in.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from stereo_depth_node.core.point_cloud import CloudLayout, cloud_layout

ALGORITHM_BM = 0
ALGORITHM_SGBM = 1
ALGORITHM_CENSUS = 2

ParameterValue = int | float | bool | str

_SPEC = "parameter"  # key of the field metadata that :func:`parameter` fills


@dataclass(frozen=True)
class ParameterSpec:
    """Name, type, default and allowed values of one parameter.

    Attributes
    ----------
    name : str
        The ROS parameter name (as in ``stereo_image_proc``).
    type : type
        ``int``, ``float``, ``bool`` or ``str``.
    default : int, float, bool or str
        Value used when the parameter is not given.
    minimum, maximum : int or float
        Inclusive bounds (``False``/``True`` for booleans).
    step : int
        For ``int`` parameters: allowed values are ``minimum + k * step``
        (``2`` makes a parameter odd when ``minimum`` is odd). ``0`` otherwise.
    description : str
        One line shown by ``ros2 param describe``.
    choices : tuple of int or str, optional
        For ``int`` parameters whose allowed values are not evenly spaced; the
        values of a ``str`` parameter.
    read_only : bool
        Read once, at start-up; the node refuses changes while it runs.
    rebuilds_synchronizer : bool
        A change takes effect through a new synchronizer (queued messages are dropped).
    option : str, optional
        The offline tools' command-line shortcut (``--option``), OpenCV's name.
    labels : tuple of str
        Command-line names of the values ``0, 1, ...`` (e.g. ``bm``, ``sgbm``).
    """

    name: str
    type: type
    default: ParameterValue
    minimum: int | float
    maximum: int | float
    step: int
    description: str
    choices: tuple[int, ...] | tuple[str, ...] | None = None
    read_only: bool = False
    rebuilds_synchronizer: bool = False
    option: str | None = None
    labels: tuple[str, ...] = ()

    def allowed(self) -> str:
        """Human-readable description of the allowed values."""
        if self.type is bool:
            return "true or false"
        if self.type is str:
            return "one of " + ", ".join(f"'{choice}'" for choice in self.choices or ())
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        text = f"{self.minimum}..{self.maximum}"
        if self.type is int and self.step > 1:
            if self.step == 2 and self.minimum % 2 == 1:
                text += ", odd"
            else:
                text += f", a multiple of {self.step}"
        return text

    def check(self, value: Any) -> ParameterValue:
        """``value`` converted to this parameter's type.

        Raises
        ------
        ValueError
            A value of the wrong kind or outside what is allowed, naming the
            parameter, the value and what is allowed.
        """
        if self.type is bool:
            if not isinstance(value, bool):
                raise ValueError(f"parameter '{self.name}' = {value!r} must be true or false")
            return value
        if self.type is str:
            if value not in (self.choices or ()) or not isinstance(value, str):
                raise ValueError(
                    f"parameter '{self.name}' = {value!r} is not allowed: {self.allowed()}")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(
                f"parameter '{self.name}' = {value!r} must be a number in {self.allowed()}")
        number: int | float
        if self.type is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(
                    f"parameter '{self.name}' = {value!r} must be an integer in {self.allowed()}")
            number = int(value)
        else:
            number = float(value)
        in_range = self.minimum <= number <= self.maximum
        on_step = self.step <= 1 or (number - self.minimum) % self.step == 0
        if self.choices is not None:
            in_range = number in self.choices
        if not (in_range and on_step):
            raise ValueError(
                f"parameter '{self.name}' = {number!r} is not allowed: {self.allowed()}")
        return number


def parameter(default: ParameterValue, minimum: int | float | None = None,
              maximum: int | float | None = None, step: int = 0, *, description: str,
              choices: tuple[int, ...] | tuple[str, ...] | None = None,
              read_only: bool = False, rebuilds_synchronizer: bool = False,
              option: str | None = None, labels: tuple[str, ...] = ()) -> Any:
    """A dataclass field that declares one parameter; see :class:`ParameterSpec`.

    The field's name and annotation give the parameter's name and type, and
    ``default`` its default. Booleans and strings (``choices``) need no bounds.
    """
    if isinstance(default, bool):
        minimum, maximum = False, True
    if isinstance(default, str):
        minimum, maximum = 0, 0
    if minimum is None or maximum is None:
        raise TypeError("a number parameter needs a minimum and a maximum")
    rest = {"minimum": minimum, "maximum": maximum, "step": step, "description": description,
            "choices": choices, "read_only": read_only,
            "rebuilds_synchronizer": rebuilds_synchronizer, "option": option,
            "labels": labels}
    return dataclasses.field(default=default, metadata={_SPEC: rest})


_SPECS_BY_CLASS: dict[type, tuple[ParameterSpec, ...]] = {}


def _specs_of(cls: type) -> tuple[ParameterSpec, ...]:
    """The specs declared by ``cls``'s fields (built once per class)."""
    if cls not in _SPECS_BY_CLASS:
        hints = typing.get_type_hints(cls)
        _SPECS_BY_CLASS[cls] = tuple(
            ParameterSpec(field.name, hints[field.name], typing.cast(ParameterValue, field.default),
                          **field.metadata[_SPEC])
            for field in dataclasses.fields(cls))
    return _SPECS_BY_CLASS[cls]


class ParameterSet:
    """Validation and construction shared by :class:`MatcherParams` and :class:`NodeSettings`.

    Construction checks every field against its spec (converting ints given
    for floats and whole floats given for ints) and raises :class:`ValueError`
    naming the parameter, its value and what is allowed.
    """

    KIND: ClassVar[str]

    def __post_init__(self) -> None:
        for spec in self.specs():
            object.__setattr__(self, spec.name, spec.check(getattr(self, spec.name)))

    @classmethod
    def specs(cls) -> tuple[ParameterSpec, ...]:
        """The specs of this set's parameters, in declaration order."""
        return _specs_of(cls)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Self:
        """Build from a name → value mapping, ignoring names that belong to no parameter here."""
        names = {spec.name for spec in cls.specs()}
        return cls(**{name: value for name, value in values.items() if name in names})

    def replace(self, **changes: Any) -> Self:
        """Return a validated copy with some parameters changed."""
        unknown = sorted(set(changes) - {spec.name for spec in self.specs()})
        if unknown:
            raise ValueError(f"unknown {self.KIND} parameter(s): {', '.join(unknown)}")
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


@dataclass(frozen=True)
class MatcherParams(ParameterSet):
    """A complete, validated set of matching and depth-quality parameters."""

    KIND: ClassVar[str] = "matcher"

    stereo_algorithm: int = parameter(
        ALGORITHM_BM, 0, 2, 1, option="algorithm", labels=("bm", "sgbm", "census"),
        description="Stereo matcher: 0 = block matching (StereoBM), 1 = semi-global "
                    "(StereoSGBM), 2 = census-cost semi-global matching (robust to exposure "
                    "differences between the cameras; P1 and P2 in Hamming-cost units).")
    prefilter_size: int = parameter(
        9, 5, 255, 2, description="Normalization window size of the BM pre-filter, pixels (odd).")
    prefilter_cap: int = parameter(
        31, 1, 63, 1, description="Bound on normalized pixel values before matching.")
    correlation_window_size: int = parameter(
        15, 5, 255, 2, option="block_size", description="Matching block size, pixels (odd).")
    min_disparity: int = parameter(
        0, -2048, 2048, 1, option="min_disparity",
        description="Smallest disparity searched, pixels.")
    # stereo_image_proc allows 32..4096; 16, OpenCV's smallest search, is accepted as well
    # (the OpenCV tutorial's numDisparities).
    disparity_range: int = parameter(
        64, 16, 4096, 16, option="num_disparities",
        description="Number of disparities searched, pixels (a multiple of 16).")
    texture_threshold: int = parameter(
        10, 0, 10000, 1, description="BM: minimum texture in the block for a match to count.")
    speckle_size: int = parameter(
        100, 0, 1000, 1, option="speckle_size",
        description="Largest connected region, pixels, removed as a speckle (0 disables).")
    speckle_range: int = parameter(
        4, 0, 31, 1, option="speckle_range",
        description="Largest disparity variation, pixels, inside one connected region.")
    disp12_max_diff: int = parameter(
        0, 0, 128, 1, option="disp12_max_diff",
        description="Largest left-right disparity difference, pixels, kept by the matcher's "
                    "check (0 disables).")
    sgbm_mode: int = parameter(
        0, 0, 3, 1, option="sgbm_mode",
        description="SGBM mode: 0 = SGBM (5 paths), 1 = HH (8 paths), 2 = SGBM_3WAY, 3 = HH4.")
    uniqueness_ratio: float = parameter(
        15.0, 0.0, 100.0, option="uniqueness_ratio",
        description="Margin, percent, by which the best match must beat the second best.")
    P1: float = parameter(
        200.0, 0.0, 4000.0, option="p1",
        description="SGBM penalty for a disparity change of 1 between neighbours.")
    P2: float = parameter(
        400.0, 0.0, 4000.0, option="p2",
        description="SGBM penalty for a disparity change of more than 1 between neighbours "
                    "(must exceed P1).")
    border_matching: bool = parameter(
        False, description="Match on images padded by the search range, so the left border "
                           "band (columns below min_disparity + disparity_range) gets estimates.")
    lr_check_max_diff: float = parameter(
        0.0, 0.0, 64.0, description="Left-right consistency: drop pixels whose right-view "
                                    "disparity differs by more than this, pixels (occlusions, "
                                    "mismatches); 0 disables.")
    fill_holes: bool = parameter(
        False, description="Fill pixels without an estimate along each row from the farther "
                           "(smaller disparity) neighbour, for dense output.")
    min_confidence: float = parameter(
        0.0, 0.0, 1.0, description="Drop pixels whose confidence (0..1) is below this; "
                                   "0 keeps all.")
    downsample: int = parameter(
        1, 1, 4, 1, choices=(1, 2, 4),
        description="Match at 1/downsample resolution and scale the disparity back to full "
                    "resolution.")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min_disparity < -2047 or self.min_disparity + self.disparity_range > 2048:
            raise ValueError(
                f"'min_disparity' = {self.min_disparity} with 'disparity_range' = "
                f"{self.disparity_range} searches {self.min_disparity}.."
                f"{self.min_disparity + self.disparity_range - 1}; it must lie within "
                "-2047..2047 (OpenCV's 1/16 px int16 output, one value below kept for 'none')")
        if not self.P2 > self.P1:
            raise ValueError(
                f"parameter 'P2' = {self.P2} must be greater than 'P1' = {self.P1} "
                "(SGBM penalties)")

    @property
    def needs_right_view(self) -> bool:
        """Whether a right-view disparity is needed (left-right check or confidence)."""
        return self.lr_check_max_diff > 0 or self.min_confidence > 0


@dataclass(frozen=True)
class NodeSettings(ParameterSet):
    """The node's other parameters: synchronization, the cloud's layout, input QoS."""

    KIND: ClassVar[str] = "node"

    approximate_sync: bool = parameter(
        False, rebuilds_synchronizer=True,
        description="Pair inputs whose stamps differ (true) or only identical stamps (false).")
    approximate_sync_tolerance_seconds: float = parameter(
        0.0, 0.0, 3600.0, rebuilds_synchronizer=True,
        description="Largest stamp spread, seconds, of an approximately synchronized set "
                    "(0 = no limit).")
    # stereo_image_proc keeps 5. A reliable camera's lost messages are repaired up to 10
    # frames late (its writer keeps ROS 2's default 10): a set waits that long.
    queue_size: int = parameter(
        10, 1, 1000, 1, rebuilds_synchronizer=True,
        description="Messages per input kept while waiting for a synchronized set, and sets "
                    "that may wait for the matcher (more skips the oldest).")
    use_color: bool = parameter(
        True, description="Add the left image's colour to points2 as an rgb field.")
    avoid_point_cloud_padding: bool = parameter(
        False, description="Pack points2 without padding (point_step 16 with colour, 12 "
                           "without).")
    depth_in_millimetres: bool = parameter(
        False, description="Publish depth as 16UC1 millimetres (REP 118; 0 = unknown, and "
                           "beyond 65.535 m) instead of 32FC1 metres.")
    min_depth: float = parameter(
        0.0, 0.0, 1000.0,
        description="Depth and points2 leave out pixels nearer than this, metres (0 = no "
                    "limit); the disparity keeps them.")
    max_depth: float = parameter(
        0.0, 0.0, 1000.0,
        description="Depth and points2 leave out pixels farther than this, metres (0 = no "
                    "limit); the disparity keeps them.")
    point_cloud_decimation: int = parameter(
        1, 1, 16, 1,
        description="points2 keeps every n-th row and column (still organized, same fields).")
    point_cloud_valid_only: bool = parameter(
        False, description="points2 as an unorganized cloud (height 1) of the valid points "
                           "only, is_dense true, instead of an organized one with NaN points.")
    use_image_rect_color: bool = parameter(
        False, read_only=True,
        description="Colour points2 from left/image_rect_color, synchronized as a fifth "
                    "input, instead of the matched left image (mono images matched, the "
                    "camera's colour stream for the cloud); read at start-up.")
    use_system_default_qos: bool = parameter(
        False, read_only=True,
        description="Subscribe with the middleware's default QoS instead of best available "
                    "reliability (reliable from reliable cameras, best effort from best-effort "
                    "ones); read at start-up.")
    rectify: bool = parameter(
        False, read_only=True,
        description="Subscribe left/image_raw and right/image_raw instead of image_rect and "
                    "rectify them with their camera_info's D, K, R and P (plumb_bob, "
                    "rational_polynomial or equidistant) before matching; read at start-up.")
    interpolation: int = parameter(
        1, 0, 4, 1,
        description="Interpolation of rectify, as image_proc's: 0 nearest, 1 linear, 2 cubic, "
                    "3 area (linear in a remap), 4 Lanczos.")
    image_transport: str = parameter(
        "raw", choices=("raw", "compressed"), read_only=True,
        description="Transport of the input images: raw (sensor_msgs/Image) or compressed "
                    "(<topic>/compressed, sensor_msgs/CompressedImage, JPEG or PNG); read "
                    "at start-up.")
    no_sync_warning_seconds: float = parameter(
        3.0, 0.1, 3600.0,
        description="Warn (log and /diagnostics) when inputs arrive but no synchronized set "
                    "forms for this long, seconds.")
    diagnostics_period_seconds: float = parameter(
        1.0, 0.1, 60.0, read_only=True,
        description="Period of the /diagnostics status, seconds; read at start-up.")


    def __post_init__(self) -> None:
        super().__post_init__()
        if self.rectify and self.use_image_rect_color:
            raise ValueError("parameters 'rectify' and 'use_image_rect_color' cannot both be "
                             "true: with rectify the cloud's colours come from the raw left "
                             "image, rectified")
        if 0 < self.max_depth <= self.min_depth:
            raise ValueError(f"parameter 'max_depth' = {self.max_depth} must be greater than "
                             f"'min_depth' = {self.min_depth} (or 0 for no limit)")

    @property
    def cloud_layout(self) -> CloudLayout:
        """The byte layout of points2's points (``use_color``, ``avoid_point_cloud_padding``)."""
        return cloud_layout(self.use_color, self.avoid_point_cloud_padding)


MATCHER_PARAMETERS = MatcherParams.specs()
NODE_PARAMETERS = NodeSettings.specs()
PARAMETERS: dict[str, ParameterSpec] = {
    spec.name: spec for spec in (*MATCHER_PARAMETERS, *NODE_PARAMETERS)}


def parse_parameters(values: Mapping[str, Any]) -> tuple[MatcherParams, NodeSettings]:
    """Both parameter sets from a name → value mapping (defaults for what it lacks).

    Raises
    ------
    ValueError
        A name that is no parameter of the node (with the closest names), or a
        value outside what its parameter allows.
    """
    unknown = sorted(set(values) - set(PARAMETERS))
    if unknown:
        hints = [f"'{name}'" + "".join(f" (did you mean '{close}'?)"
                                       for close in difflib.get_close_matches(name, PARAMETERS, 1))
                 for name in unknown]
        raise ValueError(f"unknown parameter {', '.join(hints)}; the parameters are "
                         f"{', '.join(PARAMETERS)}")
    return MatcherParams.from_mapping(values), NodeSettings.from_mapping(values)
