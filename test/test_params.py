# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
import dataclasses

import pytest

from stereo_depth_node.core.parameters import (
    MATCHER_PARAMETERS,
    NODE_PARAMETERS,
    PARAMETERS,
    MatcherParams,
    NodeSettings,
    parse_parameters,
)

# stereo_image_proc's disparity_node defaults.
STEREO_IMAGE_PROC_DEFAULTS = {
    "stereo_algorithm": 0, "prefilter_size": 9, "prefilter_cap": 31,
    "correlation_window_size": 15, "min_disparity": 0, "disparity_range": 64,
    "texture_threshold": 10, "speckle_size": 100, "speckle_range": 4, "disp12_max_diff": 0,
    "sgbm_mode": 0, "uniqueness_ratio": 15.0, "P1": 200.0, "P2": 400.0,
}


EXTRA_STAGES_OFF = {"border_matching": False, "lr_check_max_diff": 0.0, "fill_holes": False,
                    "min_confidence": 0.0, "downsample": 1}


def test_defaults_are_stereo_image_procs_with_every_extra_stage_off():
    defaults = dataclasses.asdict(MatcherParams())
    assert defaults == {s.name: s.default for s in MATCHER_PARAMETERS}
    assert {**STEREO_IMAGE_PROC_DEFAULTS, **EXTRA_STAGES_OFF}.items() <= defaults.items()
    # Every stage beyond stereo_image_proc (these and any added later) is off by default:
    # false, or the lowest value its range allows (0 px, 0 confidence, downsample 1).
    extra = [s for s in MATCHER_PARAMETERS if s.name not in STEREO_IMAGE_PROC_DEFAULTS]
    assert {s.name for s in extra} >= set(EXTRA_STAGES_OFF)
    assert [s.name for s in extra if s.default != s.minimum] == []


@pytest.mark.parametrize("name, value, allowed", [
    ("stereo_algorithm", 3, "0..2"),
    ("prefilter_size", 4, "5..255, odd"),
    ("prefilter_size", 10, "5..255, odd"),
    ("prefilter_size", 257, "5..255, odd"),
    ("prefilter_cap", 0, "1..63"),
    ("prefilter_cap", 64, "1..63"),
    ("correlation_window_size", 3, "5..255, odd"),
    ("correlation_window_size", 16, "5..255, odd"),
    ("min_disparity", -2049, "-2048..2048"),
    ("min_disparity", 2049, "-2048..2048"),
    ("disparity_range", 0, "16..4096, a multiple of 16"),
    ("disparity_range", 40, "16..4096, a multiple of 16"),
    ("disparity_range", 4112, "16..4096, a multiple of 16"),
    ("texture_threshold", -1, "0..10000"),
    ("texture_threshold", 10001, "0..10000"),
    ("speckle_size", 1001, "0..1000"),
    ("speckle_range", 32, "0..31"),
    ("disp12_max_diff", 129, "0..128"),
    ("sgbm_mode", 4, "0..3"),
    ("uniqueness_ratio", -0.5, "0.0..100.0"),
    ("uniqueness_ratio", 100.5, "0.0..100.0"),
    ("P1", -1.0, "0.0..4000.0"),
    ("P2", 4000.5, "0.0..4000.0"),
    ("lr_check_max_diff", -1.0, "0.0..64.0"),
    ("min_confidence", 1.5, "0.0..1.0"),
    ("downsample", 3, "one of 1, 2, 4"),
    ("downsample", 8, "one of 1, 2, 4"),
])
def test_every_violation_names_parameter_value_and_allowed(name, value, allowed):
    with pytest.raises(ValueError) as error:
        MatcherParams(**{name: value})
    message = str(error.value)
    assert f"'{name}'" in message
    assert repr(value) in message
    assert allowed in message


@pytest.mark.parametrize("value", ["15", None, True, 15.5])
def test_non_numbers_and_fractions_are_rejected(value):
    with pytest.raises(ValueError, match="correlation_window_size"):
        MatcherParams(correlation_window_size=value)


@pytest.mark.parametrize("value", [1, 0, "true", None])
def test_switches_take_booleans_only(value):
    with pytest.raises(ValueError, match="'fill_holes' = .* must be true or false"):
        MatcherParams(fill_holes=value)


def test_p2_must_exceed_p1():
    with pytest.raises(ValueError, match=r"'P2' = 200.0 must be greater than 'P1' = 200.0"):
        MatcherParams(P1=200.0, P2=200.0)
    assert MatcherParams(P1=100.0, P2=100.5).P2 == 100.5


def test_disparity_range_accepts_everything_stereo_image_proc_does_and_16():
    for value in (16, 32, 48, 64, 2048):
        assert MatcherParams(disparity_range=value).disparity_range == value


@pytest.mark.parametrize("min_disparity, disparity_range", [(-2048, 64), (0, 4096), (2000, 64)])
def test_search_must_fit_opencvs_int16_output(min_disparity, disparity_range):
    # OpenCV writes 16 x disparity in int16 and marks "no match" as 16 x (min - 1): a search
    # beyond -2047..2047 wraps around or turns "no match" into a valid-looking value.
    with pytest.raises(ValueError, match="must lie within -2047..2047"):
        MatcherParams(min_disparity=min_disparity, disparity_range=disparity_range)


def test_boundaries_are_accepted_and_types_normalised():
    params = MatcherParams(prefilter_size=255, correlation_window_size=5, min_disparity=-2047,
                           disparity_range=2048, uniqueness_ratio=0, P1=0, P2=4000)
    assert params.correlation_window_size == 5
    assert isinstance(params.uniqueness_ratio, float) and params.uniqueness_ratio == 0.0
    assert isinstance(MatcherParams(prefilter_cap=40.0).prefilter_cap, int)


def test_replace_validates_and_rejects_unknown_names():
    params = MatcherParams().replace(disparity_range=128)
    assert params.disparity_range == 128
    with pytest.raises(ValueError, match="disparity_range"):
        params.replace(disparity_range=100)
    with pytest.raises(ValueError, match="unknown matcher parameter.*block_size"):
        params.replace(block_size=5)


def test_from_mapping_ignores_other_node_parameters():
    params = MatcherParams.from_mapping({"queue_size": 5, "stereo_algorithm": 1})
    assert params.stereo_algorithm == 1


def test_specs_describe_their_ranges():
    assert PARAMETERS["disparity_range"].allowed() == "16..4096, a multiple of 16"
    assert PARAMETERS["prefilter_size"].allowed() == "5..255, odd"
    assert all(spec.description.endswith(".") and len(spec.description) > 20
               for spec in PARAMETERS.values())


# stereo_image_proc's synchronization and point cloud defaults, and our read-only QoS switch.
NODE_DEFAULTS = {"approximate_sync": False, "approximate_sync_tolerance_seconds": 0.0,
                 "queue_size": 10, "use_color": True, "avoid_point_cloud_padding": False,
                 "depth_in_millimetres": False, "min_depth": 0.0, "max_depth": 0.0,
                 "point_cloud_decimation": 1, "point_cloud_valid_only": False,
                 "use_image_rect_color": False, "use_system_default_qos": False,
                 "rectify": False, "interpolation": 1, "image_transport": "raw",
                 "no_sync_warning_seconds": 3.0, "diagnostics_period_seconds": 1.0}


def test_node_settings_defaults_and_flags():
    assert dataclasses.asdict(NodeSettings()) == NODE_DEFAULTS
    assert {s.name: s.default for s in NODE_PARAMETERS} == NODE_DEFAULTS
    assert [s.name for s in NODE_PARAMETERS if s.rebuilds_synchronizer] == \
        ["approximate_sync", "approximate_sync_tolerance_seconds", "queue_size"]
    assert [s.name for s in PARAMETERS.values() if s.read_only] == \
        ["use_image_rect_color", "use_system_default_qos", "rectify", "image_transport",
         "diagnostics_period_seconds"]


@pytest.mark.parametrize("name, value, allowed", [
    ("approximate_sync_tolerance_seconds", 3600.0018, "0.0..3600.0"),
    ("approximate_sync_tolerance_seconds", -0.001, "0.0..3600.0"),
    ("queue_size", 0, "1..1000"),
    ("queue_size", 2.7, "1..1000"),
    ("interpolation", 5, "0..4"),
    ("image_transport", "theora", "one of 'raw', 'compressed'"),
    ("image_transport", 1, "one of 'raw', 'compressed'"),
])
def test_node_settings_are_checked_as_strictly_as_matcher_parameters(name, value, allowed):
    with pytest.raises(ValueError) as error:
        NodeSettings(**{name: value})
    assert f"'{name}'" in str(error.value) and repr(value) in str(error.value)
    assert allowed in str(error.value)


def test_rectify_takes_its_colours_from_the_raw_image_not_image_rect_color():
    assert NodeSettings(rectify=True).rectify
    with pytest.raises(ValueError, match="'rectify' and 'use_image_rect_color' cannot both be "
                                         "true"):
        NodeSettings(rectify=True, use_image_rect_color=True)


def test_a_depth_range_must_not_be_empty():
    assert NodeSettings(min_depth=0.5, max_depth=0.0).max_depth == 0.0  # 0: no far limit
    with pytest.raises(ValueError, match="'max_depth' = 0.5 must be greater than "
                                         "'min_depth' = 0.5"):
        NodeSettings(min_depth=0.5, max_depth=0.5)


def test_parse_parameters_splits_names_and_suggests_close_ones():
    params, settings = parse_parameters({"disparity_range": 128, "queue_size": 7})
    assert params.disparity_range == 128 and settings.queue_size == 7
    assert params.replace(disparity_range=64) == MatcherParams()
    with pytest.raises(ValueError, match="unknown parameter 'disparity_rang' "
                                         r"\(did you mean 'disparity_range'\?\)"):
        parse_parameters({"disparity_rang": 64})


def test_shortcut_options_are_opencvs_names():
    assert {s.option: s.name for s in PARAMETERS.values() if s.option} == {
        "algorithm": "stereo_algorithm", "num_disparities": "disparity_range",
        "min_disparity": "min_disparity", "block_size": "correlation_window_size",
        "uniqueness_ratio": "uniqueness_ratio", "speckle_size": "speckle_size",
        "speckle_range": "speckle_range", "disp12_max_diff": "disp12_max_diff",
        "sgbm_mode": "sgbm_mode", "p1": "P1", "p2": "P2"}
    assert PARAMETERS["stereo_algorithm"].labels == ("bm", "sgbm", "census")
