# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""stereo-depth batch: windows with one owner each, output equal to process, faults, resume."""

import errno
import json
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rclpy.serialization import deserialize_message
from rosbags.rosbag2 import Writer

from stereo_depth_node.batch.engines import LocalEngine
from stereo_depth_node.batch.options import PARTIAL, BatchOptions
from stereo_depth_node.batch.plan import Window, cut_windows
from stereo_depth_node.batch.run import SUMMARY, run_batch
from stereo_depth_node.batch.sources import BagSource
from stereo_depth_node.batch.window_task import WindowRecord, WindowTask, run_window
from stereo_depth_node.ros.bag_io import BagError, BagReader, BagWriter, message_class
from stereo_depth_node.ros.bag_process import ProcessOptions, TimeRange, process_bag
from stereo_depth_node.testing.fleet_bags import PERIOD_NS, fleet_stamps, write_fleet_bag
from stereo_depth_node.testing.sample_bag import DEFAULT_TOPICS

FRAMES = 24
WINDOW_SETS = 5  # 24 left images: 5 windows
OPTIONS = ProcessOptions(input_topics=DEFAULT_TOPICS,
                         outputs=("disparity", "depth", "points2", "confidence"))


class InlineEngine:
    """Runs the tasks in this process, in order (for faults a monkeypatch injects)."""

    name = "inline"
    workers = 1
    opencv_threads = None

    def run(self, tasks):
        for task in tasks:
            yield run_window(task)

    def close(self):
        pass


def bag_messages(path):
    """Every message of a bag as (topic, bag time, message), in that order.

    Messages, not their bytes: serialization leaves its alignment padding as it finds it.
    """
    with BagReader(path) as reader:
        classes = {topic: message_class(name) for topic, name in reader.topics.items()}
        return sorted(((topic, time, deserialize_message(data, classes[topic]))
                       for topic, time, data in reader.messages()), key=lambda m: m[:2])


def batch(inputs, out, engine=None, window_sets=WINDOW_SETS, merge="split", **options):
    process_options = ProcessOptions(**{**OPTIONS.__dict__, **options})
    return run_batch([str(path) for path in inputs],
                     BatchOptions(process_options, str(out), window_sets, merge=merge),
                     engine or InlineEngine(), progress_mode="none")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Three bags: mcap raw, sqlite3 raw, mcap with png CompressedImages; and process's output."""
    folder = tmp_path_factory.mktemp("fleet")
    bags = {"raw_mcap": ("mcap", None), "raw_sqlite": ("sqlite3", None),
            "png_mcap": ("mcap", "png")}
    expected = {}
    (folder / "in").mkdir()
    (folder / "process").mkdir()
    for name, (storage, codec) in bags.items():
        write_fleet_bag(folder / "in" / name, FRAMES, storage, codec, seed=len(expected))
        process_bag(folder / "in" / name, folder / "process" / name, OPTIONS)
        expected[name] = bag_messages(folder / "process" / name)
    return folder / "in", expected


@given(start=st.integers(0, 10**12), duration=st.integers(1, 10**12),
       left_images=st.integers(0, 10**5), per_window=st.integers(1, 10**4),
       stamps=st.lists(st.integers(-10**13, 10**13), max_size=50))
def test_every_stamp_has_exactly_one_window(start, duration, left_images, per_window, stamps):
    windows = cut_windows(start, start + duration, left_images, per_window)
    assert len(windows) == max(1, -(-left_images // per_window))
    for stamp in stamps + [start, start + duration - 1, start + duration]:
        assert sum(stamp in window.times for window in windows) == 1


def test_windows_are_in_time_order_and_about_equal():
    windows = cut_windows(1000, 2000, 40, 10)
    assert [(w.times.start, w.times.stop) for w in windows] == [
        (None, 1250), (1250, 1500), (1500, 1750), (1750, None)]


def test_the_fleet_bags_have_what_a_window_can_get_wrong(fleet):
    inputs, expected = fleet
    with BagReader(inputs / "raw_mcap") as reader:
        assert reader.counts["/left/image_rect"] == FRAMES
        assert reader.counts["/right/image_rect"] == FRAMES - FRAMES // 7  # dropped
        late = [t for topic, t, _ in reader.messages(["/left/camera_info"])
                if (t - fleet_stamps(FRAMES)[0]) % PERIOD_NS]
        assert len(late) == FRAMES // 5
    # every set but those without a right image, each with all four outputs
    assert len(expected["raw_mcap"]) == 4 * (FRAMES - FRAMES // 7)


def test_batch_equals_process_on_every_bag(fleet, tmp_path):
    inputs, expected = fleet
    summary = batch([inputs], tmp_path / "out", LocalEngine(2))
    assert summary.exit_status == 0
    for name, messages in expected.items():
        bag = tmp_path / "out" / name
        assert bag_messages(bag) == messages  # same sets, bag times and values: none twice
        parts = sorted(path.name for path in bag.iterdir() if path.name != "metadata.yaml")
        # process's default format, named by bag, run and window
        assert parts == [f"{name}_{summary.run}_{k}.mcap" for k in range(5)]
    report = json.loads((tmp_path / "out" / SUMMARY).read_text())
    assert report["exit_status"] == 0
    assert report["sets"] == sum(len(m) // 4 for m in expected.values())
    assert {bag["name"]: bag["status"] for bag in report["bags"]} == dict.fromkeys(expected,
                                                                                   "complete")


def test_copying_merge_writes_one_file(fleet, tmp_path):
    inputs, expected = fleet
    summary = batch([inputs / "raw_sqlite"], tmp_path / "out", merge="copy")
    assert summary.exit_status == 0
    bag = tmp_path / "out" / "raw_sqlite"
    assert sorted(path.name for path in bag.iterdir()) == ["metadata.yaml", "raw_sqlite.mcap"]
    assert bag_messages(bag) == expected["raw_sqlite"]


def test_a_rerun_skips_complete_windows_and_removes_leftovers(fleet, tmp_path):
    inputs, expected = fleet
    out = tmp_path / "out"
    run = batch([inputs / "raw_mcap"], out).run
    # as a run interrupted before its merge and while a window was written leaves it
    (out / "raw_mcap" / "metadata.yaml").unlink()
    (out / ".ledger" / run / "raw_mcap" / "000003.json").unlink()
    (out / "raw_mcap" / f"raw_mcap_{run}_3.mcap").write_bytes(b"half a part")
    (out / ".work" / run / "raw_mcap" / "attempt").mkdir(parents=True)
    summary = batch([inputs / "raw_mcap"], out)
    (result,) = summary.bags
    assert (result.status, result.windows, result.skipped) == ("complete", 5, 4)
    assert bag_messages(out / "raw_mcap") == expected["raw_mcap"]
    assert not (out / ".work" / run / "raw_mcap").exists()
    again = batch([inputs / "raw_mcap"], out).bags[0]
    assert (again.status, again.skipped, again.sets) == ("complete", 5, result.sets)


def test_other_parameters_are_another_run(fleet, tmp_path):
    inputs, _ = fleet
    out = tmp_path / "out"
    first = batch([inputs / "raw_mcap"], out).run
    second = batch([inputs / "raw_mcap"], out, include_inputs=True)
    assert second.run != first and second.bags[0].skipped == 0
    assert os.listdir(out / ".ledger") == [second.run]
    with BagReader(out / "raw_mcap") as reader:
        assert reader.counts["/left/image_rect"] == FRAMES  # each input copied once


def test_corrupt_bags_fail_with_the_reason_and_the_others_complete(fleet, tmp_path):
    inputs, expected = fleet
    cut = tmp_path / "cut.mcap"  # its end cut off
    whole = (inputs / "raw_mcap" / "raw_mcap.mcap").read_bytes()
    cut.write_bytes(whole[:len(whole) // 2])
    overwritten = tmp_path / "overwritten"  # a page of its database overwritten
    shutil.copytree(inputs / "raw_sqlite", overwritten)
    data = overwritten / "raw_sqlite.db3"
    content = bytearray(data.read_bytes())
    content[len(content) // 2:len(content) // 2 + 4096] = b"\xff" * 4096
    data.rename(overwritten / "overwritten.db3")
    (overwritten / "overwritten.db3").write_bytes(content)
    metadata = overwritten / "metadata.yaml"
    metadata.write_text(metadata.read_text().replace("raw_sqlite.db3", "overwritten.db3"))
    summary = batch([cut, inputs / "raw_sqlite", overwritten], tmp_path / "out")
    assert summary.exit_status == PARTIAL
    assert [bag.status for bag in summary.bags] == ["failed", "complete", "failed"]
    assert f"cannot open bag {cut}: File end magic is invalid" in summary.bags[0].reasons[0]
    assert "database disk image is malformed" in summary.bags[2].reasons[0]
    assert not (tmp_path / "out" / "cut").exists()
    assert bag_messages(tmp_path / "out" / "raw_sqlite") == expected["raw_sqlite"]
    report = json.loads((tmp_path / "out" / SUMMARY).read_text())
    assert [bag["status"] for bag in report["bags"]] == ["failed", "complete", "failed"]
    assert report["exit_status"] == PARTIAL


def test_a_full_disk_fails_the_windows_with_the_reason(fleet, tmp_path, monkeypatch):
    inputs, expected = fleet
    real_write = Writer.write
    calls = []

    def fill_up(self, *args):
        calls.append(1)
        if len(calls) > 30:  # the disk fills in the second window
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_write(self, *args)

    monkeypatch.setattr(Writer, "write", fill_up)
    summary = batch([inputs / "raw_mcap"], tmp_path / "out")
    (result,) = summary.bags
    assert summary.exit_status == PARTIAL and result.failed == 4
    assert all(reason.endswith("no space left on the device") for reason in result.reasons)
    assert not (tmp_path / "out" / "raw_mcap" / "metadata.yaml").exists()
    monkeypatch.undo()  # space again: the re-run completes
    assert batch([inputs / "raw_mcap"], tmp_path / "out").exit_status == 0
    assert bag_messages(tmp_path / "out" / "raw_mcap") == expected["raw_mcap"]


def test_no_bag_is_an_error_naming_what_a_bag_is(tmp_path, capsys):
    from stereo_depth_node.cli import main

    assert main(["batch", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert f"no bag in {tmp_path}" in error and "metadata.yaml" in error


def test_a_killed_driver_resumes_where_it_stopped(fleet, tmp_path, ros_env):
    inputs, expected = fleet
    out = tmp_path / "out"
    command = [sys.executable, "-m", "stereo_depth_node.cli", "batch", str(inputs / "png_mcap"),
               "--out", str(out), "--workers", "1", "--window-sets", "2", "--progress", "none",
               "--confidence"]
    driver = subprocess.Popen(command, env=ros_env, start_new_session=True,
                              stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob(".ledger/*/png_mcap/*.json"))) < 3:
        time.sleep(0.05)
    os.killpg(driver.pid, signal.SIGKILL)  # the driver and its worker
    driver.wait()
    done = len(list(out.glob(".ledger/*/png_mcap/*.json")))
    assert 3 <= done < 12
    rerun = subprocess.run(command, env=ros_env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads((out / SUMMARY).read_text())
    assert report["bags"][0]["skipped"] >= done
    assert bag_messages(out / "png_mcap") == expected["png_mcap"]


def test_a_killed_worker_is_retried(fleet, tmp_path, ros_env):
    psutil = pytest.importorskip("psutil")
    inputs, expected = fleet
    out = tmp_path / "out"
    command = [sys.executable, "-m", "stereo_depth_node.cli", "batch", str(inputs / "png_mcap"),
               "--out", str(out), "--workers", "2", "--window-sets", "2", "--progress", "none",
               "--confidence"]
    driver = subprocess.Popen(command, env=ros_env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.glob(".ledger/*/png_mcap/*.json")):
        time.sleep(0.01)  # one window is complete: the workers are on the next ones
    workers = [child for child in psutil.Process(driver.pid).children()
               if "spawn_main" in " ".join(child.cmdline())]
    assert workers
    workers[0].send_signal(signal.SIGKILL)
    _, stderr = driver.communicate(timeout=300)
    assert driver.returncode == 0, stderr
    assert bag_messages(out / "png_mcap") == expected["png_mcap"]


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited with {process.returncode}"
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture(scope="module")
def dask_scheduler(ros_env, tmp_path_factory):
    """A Dask scheduler and two single-threaded workers, each its own process, on 127.0.0.1."""
    pytest.importorskip("distributed")
    port = free_port()
    folder = tmp_path_factory.mktemp("dask")
    processes = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler",
                                   "--host", "127.0.0.1", "--port", str(port),
                                   "--dashboard-address", ":0"],
                                  env=ros_env, cwd=folder, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)]
    wait_for_port(port, processes[0])
    for number in range(2):
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "distributed.cli.dask_worker", f"tcp://127.0.0.1:{port}",
             "--nthreads", "1", "--host", "127.0.0.1", "--dashboard-address", ":0",
             "--name", f"worker-{number}", "--local-directory", str(folder / f"w{number}")],
            env=ros_env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    from distributed import Client

    with Client(f"tcp://127.0.0.1:{port}", timeout=60) as client:
        client.wait_for_workers(2, timeout=120)
    yield f"tcp://127.0.0.1:{port}", processes
    for process in reversed(processes):
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def test_a_dask_cluster_gives_process_s_output_and_survives_a_killed_worker(
        fleet, tmp_path, ros_env, dask_scheduler):
    psutil = pytest.importorskip("psutil")
    address, processes = dask_scheduler
    inputs, expected = fleet
    out = tmp_path / "out"
    command = [sys.executable, "-m", "stereo_depth_node.cli", "batch", str(inputs), "--out",
               str(out), "--scheduler", address, "--window-sets", "2", "--progress", "jsonl",
               "--confidence"]
    driver = subprocess.Popen(command, env=ros_env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(out.glob(".ledger/*/*/*.json")):
        time.sleep(0.01)
    nanny = psutil.Process(processes[1].pid)
    worker = nanny.children()[0]  # the nanny's worker process: the nanny starts another
    worker.send_signal(signal.SIGKILL)
    stdout, stderr = driver.communicate(timeout=600)
    assert driver.returncode == 0, stderr
    for name, messages in expected.items():
        assert bag_messages(out / name) == messages
    lines = [json.loads(line) for line in stdout.splitlines()]
    assert len(lines) == 3 * 12 and lines[-1]["done"] == lines[-1]["total"] == 3 * FRAMES
    report = json.loads((out / SUMMARY).read_text())
    assert (report["engine"], report["workers"], report["exit_status"]) == ("dask", 2, 0)


@pytest.fixture(scope="module")
def s3_env(ros_env, tmp_path_factory):
    """An S3-compatible server (moto's) on 127.0.0.1, and the environment that points at it."""
    pytest.importorskip("s3fs")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                               str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, server)
    env = dict(ros_env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{port}", AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1")
    yield env
    server.terminate()
    server.wait(timeout=30)


def test_bags_on_object_storage_in_and_out(fleet, tmp_path, s3_env, monkeypatch):
    import s3fs

    inputs, expected = fleet
    for name, value in s3_env.items():
        monkeypatch.setenv(name, value)
    s3 = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_env["AWS_ENDPOINT_URL"]})
    s3.mkdir("fleet")
    s3.put(str(inputs / "raw_sqlite"), "fleet/in/raw_sqlite", recursive=True)
    s3.put_file(str(inputs / "png_mcap" / "png_mcap.mcap"), "fleet/in/png_mcap.mcap")
    command = [sys.executable, "-m", "stereo_depth_node.cli", "batch", "s3://fleet/in",
               "--out", "s3://fleet/out", "--workers", "2", "--window-sets", "5",
               "--progress", "none", "--confidence", "--scratch", str(tmp_path / "scratch")]
    result = subprocess.run(command, env=s3_env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    s3.invalidate_cache()

    def report_run(s3):
        return json.loads(s3.cat_file("fleet/out/summary.json"))["run"]

    assert sorted(s3.ls("fleet/out/png_mcap")) == sorted(
        [f"fleet/out/png_mcap/png_mcap_{report_run(s3)}_{k}.mcap" for k in range(5)]
        + ["fleet/out/png_mcap/metadata.yaml"])
    for name in ("png_mcap", "raw_sqlite"):
        s3.get(f"fleet/out/{name}", str(tmp_path / "got" / name), recursive=True)
        assert bag_messages(tmp_path / "got" / name) == expected[name]
    report = json.loads(s3.cat_file("fleet/out/summary.json"))
    assert [bag["status"] for bag in report["bags"]] == ["complete", "complete"]
    # the MCAP bag was read in place, by range requests; only the sqlite3 one was copied
    copies = [path.name for path in (tmp_path / "scratch" / "inputs").glob("*/*")]
    assert copies == ["raw_sqlite"]
    rerun = subprocess.run(command, env=s3_env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(s3.cat_file("fleet/out/summary.json"))
    assert [bag["skipped"] for bag in report["bags"]] == [5, 5]
    # the bucket as the input: the output below it is not searched for bags
    command[command.index("s3://fleet/in")] = "s3://fleet"
    rerun = subprocess.run(command, env=s3_env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(s3.cat_file("fleet/out/summary.json"))
    assert [(bag["name"], bag["skipped"]) for bag in report["bags"]] == [
        ("raw_sqlite", 5), ("png_mcap", 5)]


def test_a_ray_cluster_gives_process_s_output(fleet, tmp_path, ros_env):
    pytest.importorskip("ray", reason="Ray is not installed (pip install ray)")
    inputs, expected = fleet
    port = free_port()
    ray = [sys.executable, "-m", "ray.scripts.scripts"]
    env = dict(ros_env, RAY_USAGE_STATS_ENABLED="0")
    # a short folder: Ray's sockets live in it, and a socket's path has at most 107 bytes
    ray_folder = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    started = subprocess.run([*ray, "start", "--head", "--node-ip-address", "127.0.0.1",
                              "--port", str(port), "--num-cpus", "2", "--include-dashboard",
                              "false", "--temp-dir", ray_folder], env=env, capture_output=True,
                             text=True, timeout=300)
    assert started.returncode == 0, started.stderr[-2000:]
    try:
        command = [sys.executable, "-m", "stereo_depth_node.cli", "batch", str(inputs),
                   "--out", str(tmp_path / "out"), "--ray-address", f"127.0.0.1:{port}",
                   "--window-sets", "5", "--progress", "none", "--confidence"]
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
    finally:
        subprocess.run([*ray, "stop", "--force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(ray_folder, ignore_errors=True)
    for name, messages in expected.items():
        assert bag_messages(tmp_path / "out" / name) == messages
    report = json.loads((tmp_path / "out" / SUMMARY).read_text())
    assert (report["engine"], report["workers"], report["exit_status"]) == ("ray", 2, 0)


def test_an_output_over_the_inputs_is_refused_and_the_inputs_left_alone(fleet, tmp_path, capsys):
    from stereo_depth_node.cli import main

    inputs, _ = fleet
    shutil.copytree(inputs / "raw_mcap", tmp_path / "fleet" / "raw_mcap")
    before = sorted(path.name for path in (tmp_path / "fleet" / "raw_mcap").iterdir())
    assert main(["batch", str(tmp_path / "fleet"), "--out", str(tmp_path / "fleet")]) == 2
    assert "is the output folder" in capsys.readouterr().err
    # an output folder holding the input bag's own output folder: the input itself
    assert main(["batch", str(tmp_path / "fleet" / "raw_mcap"), "--out",
                 str(tmp_path / "fleet")]) == 2
    assert "lies inside it" in capsys.readouterr().err
    assert sorted(path.name for path in (tmp_path / "fleet" / "raw_mcap").iterdir()) == before


@pytest.mark.parametrize("argument, message", [
    (["--workers", "0"], "--workers must be at least 1, not 0"),
    (["--window-sets", "0"], "--window-sets must be at least 1, not 0"),
    (["--halo", "-1"], "--halo must be 0 seconds or more, not -1"),
    (["--merge", "copy", "--out", "s3://bucket/out"], "--merge copy needs a local output"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "--workers is for local"),
])
def test_bad_options_are_one_line(fleet, tmp_path, capsys, argument, message):
    from stereo_depth_node.cli import main

    inputs, _ = fleet
    out = ["--out", str(tmp_path / "out")] if "--out" not in argument else []
    assert main(["batch", str(inputs), *out, *argument]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1


def test_headers_stamped_by_another_clock_are_owned_by_bag_time(tmp_path, box_scene):
    # a camera whose clock starts at 1 s, recorded at wall time: stamps and bag times far apart
    from rclpy.serialization import serialize_message

    from stereo_depth_node.ros.messages import type_name
    from stereo_depth_node.testing.frames import stereo_input_messages

    (tmp_path / "in").mkdir()
    with BagWriter(tmp_path / "in" / "clock", "mcap") as writer:
        for k in range(8):
            stamp, bag_time = (1 + k) * 10**9, 1_700_000_000 * 10**9 + k * 10**9
            for topic, message in zip(DEFAULT_TOPICS,
                                      stereo_input_messages(box_scene, stamp)):
                writer.write(topic, type_name(type(message)), bag_time,
                             serialize_message(message))
    process_bag(tmp_path / "in" / "clock", tmp_path / "process", OPTIONS)
    summary = batch([tmp_path / "in"], tmp_path / "out", window_sets=2)
    assert (summary.exit_status, summary.bags[0].windows, summary.bags[0].sets) == (0, 4, 8)
    assert bag_messages(tmp_path / "out" / "clock") == bag_messages(tmp_path / "process")


def test_a_window_of_inputs_alone_keeps_them(fleet, tmp_path):
    inputs, _ = fleet
    (tmp_path / "in").mkdir()
    # the right camera stops half-way: the second half's windows pair nothing
    with BagReader(inputs / "raw_mcap") as reader, \
            BagWriter(tmp_path / "in" / "half", "mcap") as writer:
        cut = fleet_stamps(FRAMES)[FRAMES // 2]
        for topic, time_ns, data in reader.messages():
            if not (topic.startswith("/right") and time_ns >= cut):
                writer.write(topic, reader.topics[topic], time_ns, data)
    summary = batch([tmp_path / "in"], tmp_path / "out", include_inputs=True)
    assert summary.exit_status == 0
    with BagReader(tmp_path / "out" / "half") as reader:
        assert reader.counts["/left/image_rect"] == FRAMES  # every input, each once


def test_a_copying_merge_that_was_interrupted_is_done_again(fleet, tmp_path, monkeypatch):
    from stereo_depth_node.batch import merge

    inputs, expected = fleet

    def interrupted(*args, **kwargs):
        raise OSError(errno.EIO, "interrupted")

    # the single file is written, the split bag not yet replaced by it
    monkeypatch.setattr(merge, "remove_leftovers", interrupted)
    with pytest.raises(BagError):
        batch([inputs / "raw_mcap"], tmp_path / "out", merge="copy")
    monkeypatch.undo()
    summary = batch([inputs / "raw_mcap"], tmp_path / "out", merge="copy")
    assert (summary.exit_status, summary.bags[0].skipped) == (0, 5)
    bag = tmp_path / "out" / "raw_mcap"
    assert sorted(path.name for path in bag.iterdir()) == ["metadata.yaml", "raw_mcap.mcap"]
    assert bag_messages(bag) == expected["raw_mcap"]


def test_a_window_task_starts_no_ros_context(fleet, tmp_path):
    inputs, _ = fleet
    code = f"""
import pickle, sys
import rclpy
from stereo_depth_node.batch.plan import Window
from stereo_depth_node.batch.sources import BagSource
from stereo_depth_node.batch.window_task import WindowRecord, WindowTask, run_window
record = run_window(pickle.loads({pickle.dumps(window_task(inputs, tmp_path))!r}))
print(record.complete, record.sets, rclpy.ok(), "rclpy._rclpy_pybind11" in sys.modules
      and rclpy.utilities.get_default_context().ok())
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.stdout.split() == ["True", "4", "False", "False"], result.stderr


def window_task(inputs, out):
    from stereo_depth_node.batch.plan import cut_windows
    from stereo_depth_node.batch.sources import BagSource, read_index
    from stereo_depth_node.batch.window_task import WindowTask

    source = BagSource("raw_mcap", str(inputs / "raw_mcap"))
    index = read_index(source, None)
    window = cut_windows(index.start, index.end, FRAMES, WINDOW_SETS)[0]
    return WindowTask(source, window, OPTIONS, 0, "run", index.identity, str(out))


def test_object_storage_that_fails_for_a_while(fleet, tmp_path, s3_env, monkeypatch):
    import s3fs

    from stereo_depth_node.testing.flaky_endpoint import FlakyEndpoint

    inputs, expected = fleet
    server_port = int(s3_env["AWS_ENDPOINT_URL"].rsplit(":", 1)[1])
    s3 = s3fs.S3FileSystem(key="test", secret="test",
                           client_kwargs={"endpoint_url": s3_env["AWS_ENDPOINT_URL"]})
    s3.mkdir("flaky")
    s3.put_file(str(inputs / "png_mcap" / "png_mcap.mcap"), "flaky/in/png_mcap.mcap")
    # every third of the first 300 requests answered "503 SlowDown", as S3 does under load
    with FlakyEndpoint(server_port, failing=300, every=3) as endpoint:
        env = dict(s3_env, AWS_ENDPOINT_URL=f"http://127.0.0.1:{endpoint.port}",
                   AWS_RETRY_MODE="standard", AWS_MAX_ATTEMPTS="10")
        command = [sys.executable, "-m", "stereo_depth_node.cli", "batch", "s3://flaky/in",
                   "--out", "s3://flaky/out", "--workers", "2", "--window-sets", "5",
                   "--progress", "none", "--confidence", "--scratch", str(tmp_path / "scratch")]
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert endpoint.failed >= 20
    s3.invalidate_cache()
    s3.get("flaky/out/png_mcap", str(tmp_path / "got"), recursive=True)
    assert bag_messages(tmp_path / "got") == expected["png_mcap"]


def die_on_bad(task):
    """A worker's work in the next test: a window named bad kills its worker, as a crash would."""
    if task.bag.name == "bad":
        os.kill(os.getpid(), signal.SIGKILL)
    return WindowRecord(task.bag.name, task.window.index, complete=True)


def test_a_window_that_kills_its_worker_fails_alone(tmp_path):
    tasks = [WindowTask(BagSource(name, "nowhere"), Window(0, TimeRange()), OPTIONS, 0, "run",
                        "source", str(tmp_path)) for name in ("a", "bad", "b", "c", "d")]
    records = {record.bag: record for record in LocalEngine(2, die_on_bad).run(tasks)}
    assert {name: record.complete for name, record in records.items()} == {
        "a": True, "bad": False, "b": True, "c": True, "d": True}
    assert records["bad"].reason == "its worker process died 3 times (killed, or out of memory)"


def test_thousands_of_windows_on_local_workers(tmp_path):
    # every started window is reported to the driver: 3000 reports are more than a pipe holds
    tasks = [WindowTask(BagSource(f"a_bag_with_a_long_name_{k:05d}", "nowhere"),
                        Window(k, TimeRange()), OPTIONS, 0, "run", "source", str(tmp_path))
             for k in range(3000)]
    records = list(LocalEngine(2, die_on_bad).run(tasks))
    assert len(records) == 3000 and all(record.complete for record in records)
