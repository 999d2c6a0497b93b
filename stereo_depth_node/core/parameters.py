"""Block-matching parameters: names, defaults and ranges of ``stereo_image_proc``.

Two tables are the single source of truth: :data:`PARAMETER_SPECS` for the
matcher and :data:`NODE_PARAMETER_SPECS` for synchronization and the cloud
layout. The core validates a :class:`MatcherParams` against the first, the
node declares its ROS parameters (with descriptors) from both, and the
command-line tools check the node's YAML files and ``--set`` values with them.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ALGORITHM_BM = 0
ALGORITHM_SGBM = 1


@dataclass(frozen=True)
class ParameterSpec:
    """Name, type, default and allowed values of one parameter.

    Attributes
    ----------
    name : str
        The ROS parameter name (as in ``stereo_image_proc``).
    type : type
        ``int``, ``float`` or ``bool``.
    default : int, float or bool
        Value used when the parameter is not given.
    minimum, maximum : int or float
        Inclusive bounds (``False``/``True`` for booleans).
    step : int
        For ``int`` parameters: allowed values are ``minimum + k * step``
        (``2`` makes a parameter odd when ``minimum`` is odd). ``0`` otherwise.
    description : str
        One line shown by ``ros2 param describe``.
    choices : tuple of int, optional
        For ``int`` parameters whose allowed values are not evenly spaced.
    """

    name: str
    type: type
    default: int | float | bool
    minimum: int | float
    maximum: int | float
    step: int
    description: str
    choices: tuple[int, ...] | None = None

    def allowed(self) -> str:
        """Human-readable description of the allowed values."""
        if self.type is bool:
            return "true or false"
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        text = f"{self.minimum}..{self.maximum}"
        if self.type is int and self.step > 1:
            if self.step == 2 and self.minimum % 2 == 1:
                text += ", odd"
            else:
                text += f", a multiple of {self.step}"
        return text


PARAMETER_SPECS: tuple[ParameterSpec, ...] = (
    ParameterSpec("stereo_algorithm", int, ALGORITHM_BM, 0, 1, 1,
                  "Stereo matcher: 0 = block matching (StereoBM), 1 = semi-global (StereoSGBM)."),
    ParameterSpec("prefilter_size", int, 9, 5, 255, 2,
                  "Normalization window size of the BM pre-filter, pixels (odd)."),
    ParameterSpec("prefilter_cap", int, 31, 1, 63, 1,
                  "Bound on normalized pixel values before matching."),
    ParameterSpec("correlation_window_size", int, 15, 5, 255, 2,
                  "Matching block size, pixels (odd)."),
    ParameterSpec("min_disparity", int, 0, -2048, 2048, 1,
                  "Smallest disparity searched, pixels."),
    # stereo_image_proc allows 32..4096; 16, OpenCV's smallest search, is accepted as well
    # (the OpenCV tutorial's numDisparities).
    ParameterSpec("disparity_range", int, 64, 16, 4096, 16,
                  "Number of disparities searched, pixels (a multiple of 16)."),
    ParameterSpec("texture_threshold", int, 10, 0, 10000, 1,
                  "BM: minimum texture in the block for a match to count."),
    ParameterSpec("speckle_size", int, 100, 0, 1000, 1,
                  "Largest connected region, pixels, removed as a speckle (0 disables)."),
    ParameterSpec("speckle_range", int, 4, 0, 31, 1,
                  "Largest disparity variation, pixels, inside one connected region."),
    ParameterSpec("disp12_max_diff", int, 0, 0, 128, 1,
                  "Largest left-right disparity difference, pixels, kept by the matcher's check "
                  "(0 disables)."),
    ParameterSpec("sgbm_mode", int, 0, 0, 3, 1,
                  "SGBM mode: 0 = SGBM (5 paths), 1 = HH (8 paths), 2 = SGBM_3WAY, 3 = HH4."),
    ParameterSpec("uniqueness_ratio", float, 15.0, 0.0, 100.0, 0,
                  "Margin, percent, by which the best match must beat the second best."),
    ParameterSpec("P1", float, 200.0, 0.0, 4000.0, 0,
                  "SGBM penalty for a disparity change of 1 between neighbours."),
    ParameterSpec("P2", float, 400.0, 0.0, 4000.0, 0,
                  "SGBM penalty for a disparity change of more than 1 between neighbours "
                  "(must exceed P1)."),
    # Beyond stereo_image_proc: every stage is off by default, so the defaults stay drop-in.
    ParameterSpec("border_matching", bool, False, False, True, 0,
                  "Match on images padded by the search range, so the left border band "
                  "(columns below min_disparity + disparity_range) gets estimates."),
    ParameterSpec("lr_check_max_diff", float, 0.0, 0.0, 64.0, 0,
                  "Left-right consistency: drop pixels whose right-view disparity differs by "
                  "more than this, pixels (occlusions, mismatches); 0 disables."),
    ParameterSpec("fill_holes", bool, False, False, True, 0,
                  "Fill pixels without an estimate along each row from the farther (smaller "
                  "disparity) neighbour, for dense output."),
    ParameterSpec("min_confidence", float, 0.0, 0.0, 1.0, 0,
                  "Drop pixels whose confidence (0..1) is below this; 0 keeps all."),
    ParameterSpec("downsample", int, 1, 1, 4, 1,
                  "Match at 1/downsample resolution and scale the disparity back to full "
                  "resolution.", choices=(1, 2, 4)),
)

SPECS_BY_NAME: dict[str, ParameterSpec] = {spec.name: spec for spec in PARAMETER_SPECS}

# The node's other parameters (names and defaults of stereo_image_proc).
NODE_PARAMETER_SPECS: tuple[ParameterSpec, ...] = (
    ParameterSpec("approximate_sync", bool, False, False, True, 0,
                  "Pair inputs whose stamps differ (true) or only identical stamps (false)."),
    ParameterSpec("approximate_sync_tolerance_seconds", float, 0.0, 0.0, 3600.0, 0,
                  "Largest stamp spread, seconds, of an approximately synchronized set "
                  "(0 = no limit)."),
    ParameterSpec("queue_size", int, 5, 1, 1000, 1,
                  "Messages per input kept while waiting for a synchronized set."),
    ParameterSpec("use_color", bool, True, False, True, 0,
                  "Add the left image's colour to points2 as an rgb field."),
    ParameterSpec("avoid_point_cloud_padding", bool, False, False, True, 0,
                  "Pack points2 without padding (point_step 16 with colour, 12 without)."),
    ParameterSpec("use_system_default_qos", bool, False, False, True, 0,
                  "Subscribe with the middleware's default QoS instead of sensor data QoS "
                  "(best effort); read at start-up."),
)
NODE_SPECS_BY_NAME: dict[str, ParameterSpec] = {spec.name: spec for spec in NODE_PARAMETER_SPECS}


def node_values(values: Mapping[str, Any]) -> dict[str, int | float | bool]:
    """Every node (not matcher) parameter: the checked value from ``values``, else the default.

    Raises
    ------
    ValueError
        A name that is neither a matcher nor a node parameter (with the closest
        names), or a value outside what the parameter allows.
    """
    unknown = sorted(set(values) - set(SPECS_BY_NAME) - set(NODE_SPECS_BY_NAME))
    if unknown:
        known = [*SPECS_BY_NAME, *NODE_SPECS_BY_NAME]
        hints = [f"'{name}'" + "".join(f" (did you mean '{close}'?)"
                                       for close in difflib.get_close_matches(name, known, 1))
                 for name in unknown]
        raise ValueError(f"unknown parameter {', '.join(hints)}; the parameters are "
                         f"{', '.join(known)}")
    return {spec.name: _checked(spec, values.get(spec.name, spec.default))
            for spec in NODE_PARAMETER_SPECS}


@dataclass(frozen=True)
class MatcherParams:
    """A complete, validated set of block-matching parameters.

    Field names and defaults are those of ``stereo_image_proc``; see
    :data:`PARAMETER_SPECS` for units and ranges. Construction validates every
    field and raises :class:`ValueError` naming the parameter, its value and
    what is allowed.
    """

    stereo_algorithm: int = ALGORITHM_BM
    prefilter_size: int = 9
    prefilter_cap: int = 31
    correlation_window_size: int = 15
    min_disparity: int = 0
    disparity_range: int = 64
    texture_threshold: int = 10
    speckle_size: int = 100
    speckle_range: int = 4
    disp12_max_diff: int = 0
    sgbm_mode: int = 0
    uniqueness_ratio: float = 15.0
    P1: float = 200.0
    P2: float = 400.0
    border_matching: bool = False
    lr_check_max_diff: float = 0.0
    fill_holes: bool = False
    min_confidence: float = 0.0
    downsample: int = 1

    def __post_init__(self) -> None:
        for spec in PARAMETER_SPECS:
            object.__setattr__(self, spec.name, _checked(spec, getattr(self, spec.name)))
        if self.min_disparity < -2047 or self.min_disparity + self.disparity_range > 2048:
            raise ValueError(
                f"'min_disparity' = {self.min_disparity} with 'disparity_range' = "
                f"{self.disparity_range} searches {self.min_disparity}.."
                f"{self.min_disparity + self.disparity_range - 1}; it must lie within "
                "-2047..2047 (OpenCV's 1/16 px int16 output, one value below kept for 'none')")
        if not self.P2 > self.P1:
            raise ValueError(
                f"parameter 'P2' = {self.P2} must be greater than 'P1' = {self.P1} "
                "(SGBM penalties)"
            )

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> "MatcherParams":
        """Build from a name → value mapping, ignoring names that are not matcher parameters."""
        return cls(**{k: v for k, v in values.items() if k in SPECS_BY_NAME})

    def replace(self, **changes: Any) -> "MatcherParams":
        """Return a validated copy with some parameters changed."""
        unknown = sorted(set(changes) - set(SPECS_BY_NAME))
        if unknown:
            raise ValueError(f"unknown matcher parameter(s): {', '.join(unknown)}")
        return dataclasses.replace(self, **changes)

    @property
    def needs_right_view(self) -> bool:
        """Whether a right-view disparity is needed (left-right check or confidence)."""
        return self.lr_check_max_diff > 0 or self.min_confidence > 0

    def as_dict(self) -> dict[str, int | float | bool]:
        """Name → value for every parameter."""
        return dataclasses.asdict(self)


def _checked(spec: ParameterSpec, value: Any) -> int | float | bool:
    """Return ``value`` converted to the spec's type, or raise ValueError."""
    if spec.type is bool:
        if not isinstance(value, bool):
            raise ValueError(f"parameter '{spec.name}' = {value!r} must be true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(
            f"parameter '{spec.name}' = {value!r} must be a number in {spec.allowed()}"
        )
    if spec.type is int:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(
                f"parameter '{spec.name}' = {value!r} must be an integer in {spec.allowed()}"
            )
        value = int(value)
    else:
        value = float(value)
    in_range = spec.minimum <= value <= spec.maximum
    on_step = spec.step <= 1 or (value - spec.minimum) % spec.step == 0
    if spec.choices is not None:
        in_range = value in spec.choices
    if not (in_range and on_step):
        raise ValueError(f"parameter '{spec.name}' = {value!r} is not allowed: {spec.allowed()}")
    return value
