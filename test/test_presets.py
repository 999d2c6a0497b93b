"""The shipped parameter files: valid, drop-in defaults, a quality preset that earns its name."""

import functools

import pytest

from stereo_depth_node.core.parameters import (
    PARAMETERS,
    MatcherParams,
    NodeSettings,
    parse_parameters,
)
from stereo_depth_node.core.processor import StereoProcessor
from stereo_depth_node.offline.param_file import load_parameters
from stereo_depth_node.ros.config_files import config_file
from stereo_depth_node.testing.metrics import evaluate


@pytest.fixture(scope="module")
def motorcycle_accuracy(motorcycle_scene):
    """A function: the bad-2.0 accuracy of a parameter file on Motorcycle, computed once."""
    scene = motorcycle_scene
    truth = scene.geometry.published_disparity(scene.ground_truth)

    @functools.cache
    def accuracy(preset):
        params = MatcherParams.from_mapping(load_parameters(config_file(preset)))
        frame = StereoProcessor(params).process(scene.left, "rgb8", scene.right, "rgb8",
                                                scene.geometry)
        return evaluate(frame.disparity, truth, threshold=2.0)

    return accuracy


def test_default_file_is_stereo_image_procs_defaults():
    parameters = load_parameters(config_file("stereo_depth.yaml"))
    assert parse_parameters(parameters) == (MatcherParams(), NodeSettings())
    assert list(parameters) == list(PARAMETERS)  # the complete template, in declaration order


@pytest.mark.parametrize("preset", ["sgbm_quality", "nav_safe", "fast"])
def test_every_preset_lists_only_valid_changes_to_the_defaults(preset):
    parameters = load_parameters(config_file(f"{preset}.yaml"))
    parse_parameters(parameters)  # unknown names or bad values would raise
    assert parameters, "a preset changes something"
    assert [name for name, value in parameters.items() if value == PARAMETERS[name].default] == []


def test_sgbm_quality_is_dense_and_clearly_better_on_motorcycle(motorcycle_accuracy):
    default = motorcycle_accuracy("stereo_depth.yaml")
    quality = motorcycle_accuracy("sgbm_quality.yaml")
    assert default.bad == pytest.approx(27.3, abs=0.5)
    assert quality.density == 100.0
    assert quality.bad <= 8.0  # the target; 7.5 % measured


def test_nav_safe_keeps_few_wrong_pixels_on_motorcycle(motorcycle_accuracy):
    default = motorcycle_accuracy("stereo_depth.yaml")
    nav = motorcycle_accuracy("nav_safe.yaml")
    assert nav.bad_kept < 3.0 < default.bad_kept
    assert nav.density >= 75.0  # the target; 75.3 % measured


def test_fast_preset_matches_at_half_resolution(motorcycle_accuracy):
    parameters = MatcherParams.from_mapping(load_parameters(config_file("fast.yaml")))
    assert parameters.downsample == 2 and parameters.stereo_algorithm == 0
    assert motorcycle_accuracy("fast.yaml").bad_kept < 8.0


def test_parameter_file_errors(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1,")
    with pytest.raises(ValueError, match="not valid YAML"):
        load_parameters(broken)
    other = tmp_path / "other.yaml"
    other.write_text("other_node:\n  ros__parameters:\n    x: 1\n")
    with pytest.raises(ValueError, match="no ros__parameters"):
        load_parameters(other)
    named = tmp_path / "named.yaml"
    named.write_text("/robot/stereo_depth_node:\n  ros__parameters:\n    disparity_range: 128\n")
    assert load_parameters(named) == {"disparity_range": 128}
