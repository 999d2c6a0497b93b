# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""``stereo-depth process`` on damaged bags and unusable output paths.

Every case ends with exactly one line ``stereo-depth process: error: ...`` naming the problem
and where it is, exit code 2, no traceback, and nothing left behind: neither the output bag nor
its temporary ``.NAME.partial`` folder.
"""

import re
import shutil

import pytest

from stereo_depth_node.testing.sample_bag import write_stereo_bag

from helpers import SECOND, assert_one_line_error, entries, run_main

pytestmark = pytest.mark.ros  # rosbags and rclpy serialization in every test

STAMPS = [1_700_000_000 * SECOND + i * SECOND // 10 for i in range(3)]
DATA_SUFFIX = {"mcap": ".mcap", "sqlite3": ".db3"}


@pytest.fixture(scope="module")
def good_bags(tmp_path_factory, box_scene):
    """An intact three-frame bag in each storage format, written once; tests damage copies."""
    folder = tmp_path_factory.mktemp("good")
    for storage in DATA_SUFFIX:
        write_stereo_bag(folder / storage, box_scene, STAMPS, storage)
    return folder


def copy_bag(tmp_path, good_bags, storage):
    """A copy of the intact bag as ``tmp_path/in``; returns it and its data file."""
    bag = tmp_path / "in"
    shutil.copytree(good_bags / storage, bag)
    data = next(bag.glob(f"*{DATA_SUFFIX[storage]}"))
    return bag, data


def process_fails(capfd, tmp_path, bag, pattern, *options, out=None):
    """Run ``process``: one-line error matching ``pattern``, and ``tmp_path`` as it was."""
    before = entries(tmp_path)
    result = run_main(capfd, "process", bag, "--out", out or tmp_path / "out", *options)
    assert_one_line_error(result, "process", pattern)
    assert entries(tmp_path) == before
    return result


# --- damaged data files -------------------------------------------------------------------------

@pytest.mark.parametrize("damage", ["end cut off", "a page overwritten"])
def test_corrupt_sqlite3_data_is_one_line(tmp_path, capfd, good_bags, damage):
    # rosbags reads sqlite3 through apsw: its errors (apsw.CorruptError ...) are no sqlite3.Error
    bag, data = copy_bag(tmp_path, good_bags, "sqlite3")
    content = bytearray(data.read_bytes())
    if damage == "end cut off":
        del content[-100:]
    else:
        middle = len(content) // 2
        content[middle:middle + 4096] = b"\xff" * 4096
    data.write_bytes(content)
    process_fails(capfd, tmp_path, bag, re.escape(
        f"bag {bag} is damaged: database disk image is malformed (SQLite CorruptError)"))


def test_sqlite3_data_cut_in_half_is_one_line(tmp_path, capfd, good_bags):
    bag, data = copy_bag(tmp_path, good_bags, "sqlite3")
    data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
    process_fails(capfd, tmp_path, bag, re.escape(
        f"cannot open bag {bag}: Cannot open database {data}: database disk image is malformed"))


@pytest.mark.parametrize("size, reason", [
    (8, lambda data: re.escape(f"{data} (8 bytes) is truncated or corrupt (TypeError: ") + r".*\)"),
    (0, lambda data: re.escape(f"File '{data}' seems to be empty.")),
    (20, lambda data: re.escape("Truncated record at offset 17: expected 26 bytes, got 3.")),
])
def test_short_mcap_is_one_line(tmp_path, capfd, good_bags, size, reason):
    # 8 bytes: the MCAP magic and nothing more; rosbags' reader fails with a TypeError there
    bag, data = copy_bag(tmp_path, good_bags, "mcap")
    data.write_bytes(data.read_bytes()[:size])
    process_fails(capfd, tmp_path, bag, re.escape(f"cannot open bag {bag}: ") + reason(data))
