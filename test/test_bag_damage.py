# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""``stereo-depth process`` on damaged bags and unusable output paths.

Every case ends with exactly one line ``stereo-depth process: error: ...`` naming the problem
and where it is, exit code 2, no traceback, and nothing left behind: neither the output bag nor
its temporary ``.NAME.partial`` folder.
"""

import dataclasses
import errno
import os
import re
import shutil
import sqlite3
import subprocess
import sys

import pytest
import yaml
from rclpy.serialization import serialize_message

from stereo_depth_node.ros.bag_io import BagWriter
from stereo_depth_node.ros.messages import type_name
from stereo_depth_node.testing.frames import stereo_input_messages
from stereo_depth_node.testing.sample_bag import DEFAULT_TOPICS, write_stereo_bag

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


def test_an_mcap_record_claiming_exabytes_is_one_line(tmp_path, capfd, good_bags):
    # found by fuzzing: the header record's length field (bytes 9..16) all ones made rosbags
    # raise OverflowError
    bag, data = copy_bag(tmp_path, good_bags, "mcap")
    content = bytearray(data.read_bytes())
    content[9:17] = b"\xff" * 8
    data.write_bytes(content)
    process_fails(capfd, tmp_path, bag, re.escape(
        f"cannot open bag {bag}: {data} ({len(content)} bytes) is truncated or corrupt "
        "(OverflowError: ") + r".*\)")


# --- metadata.yaml ------------------------------------------------------------------------------

def edit_metadata(bag, change):
    """Apply ``change(info)`` to the bag's ``rosbag2_bagfile_information`` and save it."""
    path = bag / "metadata.yaml"
    document = yaml.safe_load(path.read_text())
    change(document["rosbag2_bagfile_information"])
    path.write_text(yaml.safe_dump(document))


def set_field(*keys_and_value):
    """A change that sets ``info[k1][k2]... = value`` (integers index lists)."""
    *keys, value = keys_and_value

    def change(info):
        for key in keys[:-1]:
            info = info[key]
        info[keys[-1]] = value
    return change


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
@pytest.mark.parametrize("change, problem", [
    (set_field("message_count", "twelve"),
     "message_count is 'twelve', expected an integer, 0 or more"),
    (set_field("message_count", 12.5), "message_count is 12.5, expected an integer, 0 or more"),
    (set_field("topics_with_message_count", 0, "message_count", "three"),
     "topics_with_message_count[0].message_count is 'three', expected an integer, 0 or more"),
    (set_field("duration", "nanoseconds", "soon"),
     "duration.nanoseconds is 'soon', expected an integer, 0 or more"),
    (set_field("duration", 2.5), "duration is 2.5, expected a mapping with nanoseconds"),
    (set_field("starting_time", "nanoseconds_since_epoch", True),
     "starting_time.nanoseconds_since_epoch is True, expected an integer"),
    (set_field("topics_with_message_count", 0, "topic_metadata", "name", 42),
     "topics_with_message_count[0].topic_metadata.name is 42, expected a string"),
    (set_field("topics_with_message_count", 3, "topic_metadata", "name", 42),
     "topics_with_message_count[3].topic_metadata.name is 42, expected a string"),
    (set_field("relative_file_paths", 5), "relative_file_paths is 5, expected a list of strings"),
    (set_field("files", "x"), "files is 'x', expected a list"),  # rosbags failed closing the bag
    (set_field("files", 7), "files is 7, expected a list"),
    (set_field("files", 0, "message_count", "x"),
     "files[0].message_count is 'x', expected an integer, 0 or more"),
], ids=["count text", "count float", "topic count text", "duration text", "duration number",
        "start bool", "first topic name int", "last topic name int", "file list int",
        "files text", "files int", "file count text"])
def test_metadata_of_the_wrong_type_is_one_line(tmp_path, capfd, good_bags, storage, change,
                                                problem):
    bag, _ = copy_bag(tmp_path, good_bags, storage)
    edit_metadata(bag, change)
    process_fails(capfd, tmp_path, bag,
                  re.escape(f"cannot open bag {bag}: {bag / 'metadata.yaml'}: {problem}"))


def test_metadata_that_is_not_yaml_is_one_line(tmp_path, capfd, good_bags):
    bag, _ = copy_bag(tmp_path, good_bags, "mcap")
    with open(bag / "metadata.yaml", "a") as stream:
        stream.write("  broken: [\n")
    lines = (bag / "metadata.yaml").read_text().count("\n")
    process_fails(capfd, tmp_path, bag, re.escape(
        f"cannot open bag {bag}: {bag / 'metadata.yaml'}, line {lines + 1}, column 1: "
        "not valid YAML: ") + ".+")


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
@pytest.mark.parametrize("mode", ["file", "message"])
def test_zstd_claimed_for_plain_data_is_one_line(tmp_path, capfd, good_bags, storage, mode):
    bag, data = copy_bag(tmp_path, good_bags, storage)
    edit_metadata(bag, lambda info: info.update(compression_format="zstd",
                                                compression_mode=mode))
    if mode == "file":  # decompressed when the bag is opened
        pattern = (f"cannot open bag {bag}: {bag / 'metadata.yaml'} says the data files are "
                   f"zstd-compressed (compression_mode: file) but {data} is not zstd data (")
    else:  # decompressed message by message
        pattern = (f"bag {bag} is damaged: {bag / 'metadata.yaml'} says the messages are "
                   "zstd-compressed (compression_mode: message) but they are not zstd data (")
    process_fails(capfd, tmp_path, bag, re.escape(pattern) + r"Unable to decompress .*\)")


# --- output paths -------------------------------------------------------------------------------

def test_out_as_a_dangling_symlink_is_refused_before_processing(tmp_path, capfd, good_bags):
    bag, _ = copy_bag(tmp_path, good_bags, "mcap")
    out = tmp_path / "out"
    out.symlink_to(tmp_path / "nowhere" / "bag")
    process_fails(capfd, tmp_path, bag, re.escape(
        f"{out} exists already (a symbolic link to {tmp_path / 'nowhere' / 'bag'}, which does "
        "not exist); choose another output path"), out=out)
    assert out.is_symlink() and not (tmp_path / "nowhere").exists()


@pytest.mark.parametrize("length", [300, 250])
def test_an_output_name_too_long_for_the_file_system_is_one_line(tmp_path, capfd, good_bags,
                                                                 length):
    # 300 bytes: more than any name may have (255); 250: the name fits, .NAME.partial does not
    bag, _ = copy_bag(tmp_path, good_bags, "mcap")
    out = tmp_path / ("x" * length)
    process_fails(capfd, tmp_path, bag, re.escape(
        f"cannot write bag {out}: its name is too long for the file system ({length} bytes; at "
        "most 246 fit, as the bag is first written as .NAME.partial)"), out=out)


def test_an_output_folder_that_does_not_exist_is_named(tmp_path, capfd, good_bags):
    bag, _ = copy_bag(tmp_path, good_bags, "mcap")
    (tmp_path / "file").write_text("not a folder")
    process_fails(capfd, tmp_path, bag, re.escape(
        f"cannot write bag {tmp_path / 'missing' / 'out'}: folder {tmp_path / 'missing'} "
        "does not exist"), out=tmp_path / "missing" / "out")
    process_fails(capfd, tmp_path, bag, re.escape(
        f"cannot write bag {tmp_path / 'file' / 'out'}: {tmp_path / 'file'} is not a folder"),
        out=tmp_path / "file" / "out")


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_an_output_inside_the_input_bag_is_refused_and_the_bag_left_as_it_was(
        tmp_path, capfd, good_bags, storage):
    bag, _ = copy_bag(tmp_path, good_bags, storage)
    files = entries(bag)
    for out in (bag / "sub", bag / "deeper" / "out"):
        process_fails(capfd, tmp_path, bag, re.escape(
            f"cannot write bag {out} inside the input bag {bag}: writing there would change "
            "the input; choose an output path outside it"), out=out)
        assert entries(bag) == files
    link = tmp_path / "link"  # through a symbolic link to the bag: the same folder
    link.symlink_to(bag)
    process_fails(capfd, tmp_path, bag, re.escape(
        f"cannot write bag {link / 'out'} inside the input bag {bag}: writing there would "
        "change the input; choose an output path outside it"), out=link / "out")
    assert entries(bag) == files


def test_an_input_inside_the_output_path_is_refused(tmp_path, capfd, good_bags):
    outer = tmp_path / "outer"
    outer.mkdir()
    bag = outer / "in"
    shutil.copytree(good_bags / "mcap", bag)
    process_fails(capfd, tmp_path, bag, re.escape(
        f"the input bag {bag} lies inside the output path {outer}: choose an output path "
        "that does not contain the input"), out=outer)


def test_a_single_file_bag_may_write_beside_itself(tmp_path, capfd, good_bags):
    # A bag that is one .mcap file has no folder of its own: its neighbours are not the bag.
    data = next((good_bags / "mcap").glob("*.mcap"))
    single = tmp_path / "recording.mcap"
    shutil.copy(data, single)
    result = run_main(capfd, "process", single, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "metadata.yaml").is_file()


# --- a full disk --------------------------------------------------------------------------------

@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
def test_full_disk_is_one_line_and_leaves_nothing(tmp_path, capfd, good_bags, tmpfs, storage):
    # a real 1 MiB disk (skipped where mounting is not allowed: see test_full_disk_in_process)
    small_disk = tmpfs("1m")
    bag, _ = copy_bag(tmp_path, good_bags, "mcap")
    out = small_disk / "out"
    process_fails(capfd, tmp_path, bag,
                  re.escape(f"cannot write bag {out}: no space left on the device"),
                  "--format", storage, out=out)
    assert entries(small_disk) == []
    assert shutil.disk_usage(small_disk).used < 64 * 1024  # the partial bag is gone


def enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def sqlite_full(*args, **kwargs):
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorcode = sqlite3.SQLITE_FULL
    raise error


@pytest.mark.parametrize("storage", ["mcap", "sqlite3"])
@pytest.mark.parametrize("when", ["write", "close"])
def test_full_disk_in_process(tmp_path, capfd, monkeypatch, good_bags, storage, when):
    # The storage back ends' own errors: mcap writes a file (OSError ENOSPC), sqlite3 through
    # the standard library's sqlite3 (OperationalError SQLITE_FULL); while writing or closing.
    from rosbags.rosbag2 import Writer

    bag, _ = copy_bag(tmp_path, good_bags, "mcap")
    failure = enospc if storage == "mcap" else sqlite_full
    if when == "write":
        real_write = Writer.write
        calls = []

        def write(self, *args):
            calls.append(args)
            if len(calls) > 2:
                failure()
            real_write(self, *args)
        monkeypatch.setattr(Writer, "write", write)
    else:
        monkeypatch.setattr(Writer, "close", failure)
    out = tmp_path / "out"
    process_fails(capfd, tmp_path, bag,
                  re.escape(f"cannot write bag {out}: no space left on the device"),
                  "--format", storage, out=out)


# --- nothing to process -------------------------------------------------------------------------

def write_bag(path, scene, change=lambda topic, stamp, data: data):
    """The three-frame bag with each message's bytes replaced by ``change(...)``; None skips it."""
    with BagWriter(path) as writer:
        for stamp in STAMPS:
            for topic, message in zip(DEFAULT_TOPICS, stereo_input_messages(scene, stamp)):
                data = change(topic, stamp, serialize_message(message))
                if data is not None:
                    writer.write(topic, type_name(type(message)), stamp, data)


def test_every_frame_dropped_is_an_error_and_writes_no_bag(tmp_path, capfd, box_scene):
    # every right image 8 columns narrower than the left: no frame can be matched
    narrow = dataclasses.replace(box_scene, right=box_scene.right[:, :-8])
    write_stereo_bag(tmp_path / "in", narrow, STAMPS)
    process_fails(capfd, tmp_path, tmp_path / "in", re.escape(
        f"no frame of {tmp_path / 'in'} could be processed, so {tmp_path / 'out'} was not "
        "written: 3 left images read, 3 paired, 0 written; dropped 3 frame(s): left image is "
        "320x240 but right is 312x240"))


def test_no_decodable_message_is_an_error_and_writes_no_bag(tmp_path, capfd, box_scene):
    write_bag(tmp_path / "in", box_scene, lambda topic, stamp, data: data[:40])
    process_fails(capfd, tmp_path, tmp_path / "in", re.escape(
        f"no frame of {tmp_path / 'in'} could be processed, so {tmp_path / 'out'} was not "
        "written: 3 left images read, 0 paired, 0 written; " + "; ".join(
            f"{topic}: 3 message(s) could not be decoded (damaged data)"
            for topic in DEFAULT_TOPICS)))


def test_no_pair_is_an_error_and_writes_no_bag(tmp_path, capfd, box_scene):
    # the right images are stamped 50 ms after the rest: exact synchronization pairs none
    with BagWriter(tmp_path / "in") as writer:
        for stamp in STAMPS:
            messages = stereo_input_messages(box_scene, stamp)
            messages[2] = stereo_input_messages(box_scene, stamp + SECOND // 20)[2]
            for topic, message in zip(DEFAULT_TOPICS, messages):
                writer.write(topic, type_name(type(message)), stamp, serialize_message(message))
    process_fails(capfd, tmp_path, tmp_path / "in", re.escape(
        f"no frame of {tmp_path / 'in'} could be processed, so {tmp_path / 'out'} was not "
        "written: 3 left images read, 0 paired, 0 written; ") +
        r"\d+ input messages without a partner \(dropped by the synchronizer\)")


def test_metadata_naming_no_data_file_is_one_line(tmp_path, capfd, good_bags):
    # relative_file_paths: [] made rosbags read nothing, and process wrote an empty bag
    bag, _ = copy_bag(tmp_path, good_bags, "mcap")
    edit_metadata(bag, set_field("relative_file_paths", []))
    process_fails(capfd, tmp_path, bag, re.escape(
        f"cannot open bag {bag}: {bag / 'metadata.yaml'}: relative_file_paths is empty but "
        "message_count is 12"))


def test_on_a_terminal_the_error_is_the_only_line(tmp_path, good_bags):
    # the progress bar is drawn on a terminal only; it must not stay above the error
    pty = pytest.importorskip("pty")
    bag, data = copy_bag(tmp_path, good_bags, "sqlite3")
    data.write_bytes(data.read_bytes()[:-100])  # damaged: found while the messages are read
    master, terminal = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "stereo_depth_node.cli", "process", bag,
                              "--out", tmp_path / "out"], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child has closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    assert child.wait(timeout=60) == 2
    assert shown.decode() == (f"stereo-depth process: error: bag {bag} is damaged: database disk "
                              "image is malformed (SQLite CorruptError)\r\n")
    assert not (tmp_path / "out").exists()
