# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Throughput and latency of stereo_depth_node, against the bare OpenCV matcher.

On the same synthetic frames (640x480 and 1280x720, mono8) this measures

* the bare matcher (``create_matcher`` + ``compute_disparity``, in-process) for
  StereoBM and StereoSGBM: time per frame and the frame rate it allows;
* the node end to end over DDS: a publisher process -> the node process
  (``config/stereo_depth.yaml``, ``stereo_algorithm`` overridden) -> a
  subscriber process, once with only ``disparity`` subscribed and once with
  ``disparity``, ``depth`` and ``points2``. The publish rate steps up as
  fractions of the bare matcher's frame rate; a rate is sustained when at least
  98 % of its frames arrive on every subscribed topic and the node does not
  fall behind (latency grows by at most 2 % of the elapsed time, so a backlog
  hidden by the input queues still counts as a failure). For each run it reports
  the highest sustained rate, latency (publish -> arrival of the last subscribed
  output of a frame, ``time.monotonic``) at light load and at that rate, the
  node's CPU use and its peak RSS.

All ROS processes use their own ``ROS_DOMAIN_ID`` on loopback only. Publisher,
node and subscriber share the machine's cores, as they would on a robot.

Run: ``python benchmarks/node_throughput.py [--quick] [--out results.json]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np
import psutil

from stereo_depth_node.core.matching import compute_disparity, create_matcher
from stereo_depth_node.core.parameters import ALGORITHM_BM, ALGORITHM_SGBM, MatcherParams
from stereo_depth_node.offline.param_file import load_parameters
from stereo_depth_node.ros.config_files import config_file
from stereo_depth_node.ros.memory import keep_large_buffers
from stereo_depth_node.testing.node_process import (
    NodeProcess,
    domain_id_argument,
    isolate_ros_environment,
)
from stereo_depth_node.testing.scenes import Layer, StereoScene, layered_scene

SIZES = ((640, 480), (1280, 720))
ALGORITHMS = {ALGORITHM_BM: "BM", ALGORITHM_SGBM: "SGBM"}
OUTPUT_SETS = (("disparity",), ("disparity", "depth", "points2"))
SUSTAINED_FRACTION = 0.98
MAX_FALLING_BEHIND = 0.02  # latency growth per second of publishing, s/s
FIRST_STAMP_NS = 1_000 * 1_000_000_000  # above the stamps StereoStreamClient.prime uses
STAMP_STEP_NS = 1_000_000
QUIET_SECONDS = 1.0  # a step is over when nothing more arrives for this long
STARTUP_TIMEOUT = 60.0
PARAMS_FILE = "stereo_depth.yaml"

TARGET_SIZE = (640, 480)
TARGET_ALGORITHM = ALGORITHM_BM
THROUGHPUT_TARGETS = {OUTPUT_SETS[0]: 0.8, OUTPUT_SETS[1]: 0.5}
LATENCY_MATCHER_FACTOR = 2.0
LATENCY_ALLOWANCE_MS = 5.0


@dataclass(frozen=True)
class Settings:
    """How long and how finely to measure."""

    matcher_repeats: int
    rate_fractions: tuple[float, ...]  # of the bare matcher's frame rate, increasing
    step_seconds: float
    min_frames: int
    max_frames: int

    def frames_at(self, rate: float) -> int:
        """Frames to publish at ``rate`` Hz."""
        return int(np.clip(round(rate * self.step_seconds), self.min_frames, self.max_frames))


FULL = Settings(matcher_repeats=50, rate_fractions=(0.25, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
                step_seconds=3.0, min_frames=50, max_frames=300)
QUICK = Settings(matcher_repeats=10, rate_fractions=(0.25, 0.5, 0.8, 1.0),
                 step_seconds=1.0, min_frames=20, max_frames=100)


@dataclass
class MatcherResult:
    """Bare matcher timing on one size and algorithm."""

    width: int
    height: int
    algorithm: str
    mean_ms: float
    median_ms: float
    cpu_ms: float  # mean CPU time per frame, all OpenCV threads

    @property
    def max_fps(self) -> float:
        """Frames per second the matcher alone allows on one stream."""
        return 1000.0 / self.mean_ms


@dataclass
class StepResult:
    """One publish rate: what was sent, what arrived and what it cost."""

    fraction: float
    target_rate: float
    achieved_rate: float
    frames: int
    delivered: int
    latencies_ms: list[float]
    falling_behind: float | None  # slope of latency over publish time, s/s; None: too few
    node_cpu_percent: float
    clients_cpu_percent: float

    @property
    def sustained(self) -> bool:
        """Whether (almost) every frame arrived on every subscribed topic, without a backlog."""
        return (self.delivered >= SUSTAINED_FRACTION * self.frames
                and self.falling_behind is not None
                and self.falling_behind <= MAX_FALLING_BEHIND)

    def latency_percentile(self, percent: float) -> float | None:
        """Latency percentile in ms over delivered frames, None if none arrived."""
        return float(np.percentile(self.latencies_ms, percent)) if self.latencies_ms else None


@dataclass
class NodeResult:
    """The node on one size, algorithm and set of subscribed outputs."""

    width: int
    height: int
    algorithm: str
    outputs: tuple[str, ...]
    steps: list[StepResult] = field(default_factory=list)
    peak_rss_mb: float | None = None
    error: str | None = None

    def best_step(self) -> StepResult | None:
        """The highest-rate sustained step."""
        return max((s for s in self.steps if s.sustained), key=lambda s: s.fraction,
                   default=None)

    def light_step(self) -> StepResult | None:
        """The lowest-rate step (latency without queueing)."""
        return min(self.steps, key=lambda s: s.fraction, default=None)


def make_scene(width: int, height: int) -> StereoScene:
    """Synthetic textured scene: a background and two rectangles at other disparities."""
    layers = (Layer(width // 8, height // 6, width // 2, height // 2, 24),
              Layer(width // 2, height // 3, 7 * width // 8, 5 * height // 6, 40))
    return layered_scene(width, height, background_disparity=8, layers=layers, seed=1)


def measure_matcher(scene: StereoScene, algorithm: int, repeats: int) -> MatcherResult:
    """Time ``compute_disparity`` on the scene's grey pair with the YAML's parameters."""
    params = MatcherParams.from_mapping(load_parameters(config_file(PARAMS_FILE)))
    matcher = create_matcher(params.replace(stereo_algorithm=algorithm))
    compute_disparity(matcher, scene.left, scene.right)  # warm-up
    times_ms, cpu_ms = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        compute_disparity(matcher, scene.left, scene.right)
        times_ms.append(1000 * (time.perf_counter() - start))
        cpu_ms.append(1000 * (time.process_time() - start_cpu))
    height, width = scene.left.shape[:2]
    return MatcherResult(width, height, ALGORITHMS[algorithm], statistics.fmean(times_ms),
                         statistics.median(times_ms), statistics.fmean(cpu_ms))


# ------------------------------------------------------------------ child processes
def publisher_process(domain_id: int, scene: StereoScene, conn: Connection) -> None:
    """Publish the scene on command: receives ``(stamps, rate)``, replies ``sent_at``."""
    isolate_ros_environment(domain_id)
    keep_large_buffers()  # as the node does: no page faults on every large message
    import rclpy

    from stereo_depth_node.testing.stream_client import StereoStreamClient

    rclpy.init()
    client = StereoStreamClient(outputs=(), name="bench_publisher")
    conn.send(client.spin_until(client.connected, STARTUP_TIMEOUT))
    while (command := conn.recv()) is not None:
        stamps, rate = command
        client.sent_at.clear()
        start = time.monotonic()
        for index, stamp in enumerate(stamps):
            time.sleep(max(0.0, start + index / rate - time.monotonic()))
            client.publish_pair(scene, stamp)
        conn.send(dict(client.sent_at))
    client.destroy_node()
    rclpy.try_shutdown()


def subscriber_process(domain_id: int, scene: StereoScene, outputs: tuple[str, ...],
                       conn: Connection) -> None:
    """Record arrival times of ``outputs``; on any message, reply with those since the last."""
    isolate_ros_environment(domain_id)
    keep_large_buffers()  # as the node does: no page faults on every large message
    import rclpy

    from stereo_depth_node.testing.stream_client import Received, StereoStreamClient

    rclpy.init()
    client = StereoStreamClient(outputs, name="bench_subscriber")
    # prime() also warms the node up (its first frame is slow); it proves the
    # node -> subscriber path, the publisher's own path is checked by the parent.
    conn.send(client.spin_until(client.connected, STARTUP_TIMEOUT) and
              client.prime(scene, STARTUP_TIMEOUT))
    while True:
        rclpy.spin_once(client, timeout_sec=0.01)
        for messages in client.received.messages.values():
            messages.clear()  # only arrival times matter; clouds are up to 30 MB each
        if conn.poll():
            if conn.recv() is None:
                break
            conn.send(client.received.arrival)
            client.received = Received()
    client.destroy_node()
    rclpy.try_shutdown()


# ------------------------------------------------------------------ the pipeline
def cpu_seconds(process: psutil.Process) -> float:
    """User + system CPU time of ``process`` so far."""
    times = process.cpu_times()
    return times.user + times.system


def peak_rss_mb(pid: int) -> float | None:
    """Peak resident set size (``VmHWM``) of ``pid`` in MiB, None where /proc lacks it."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class Pipeline:
    """Publisher process -> node process -> subscriber process, on one domain."""

    def __init__(self, domain_id: int, scene: StereoScene, node: NodeProcess,
                 outputs: tuple[str, ...]) -> None:
        self.node = node
        self.outputs = outputs
        self._next_stamp = FIRST_STAMP_NS
        self._node_process = psutil.Process(node.process.pid)
        context = multiprocessing.get_context("spawn")
        self._publisher, publisher_child = context.Pipe()
        self._subscriber, subscriber_child = context.Pipe()
        self._children = [
            context.Process(target=publisher_process, args=(domain_id, scene, publisher_child)),
            context.Process(target=subscriber_process,
                            args=(domain_id, scene, outputs, subscriber_child)),
        ]
        for child in self._children:
            child.start()
        self._child_processes = [psutil.Process(child.pid) for child in self._children]

    def wait_ready(self) -> str | None:
        """Wait for discovery and a first frame through all three processes; None or an error."""
        for name, conn in (("subscriber", self._subscriber), ("publisher", self._publisher)):
            if not conn.poll(2 * STARTUP_TIMEOUT) or not conn.recv():
                return f"the {name} did not connect to the node; node output:\n" + \
                    self.node.output()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:  # best-effort frames are lost until the node matches
            stamps = self._take_stamps(1)
            self._publisher.send((stamps, 1.0))
            self._publisher.recv()
            if self._collect(stamps, timeout=0.5):
                return None
        return "no frame from the publisher process came through; node output:\n" + \
            self.node.output()

    def run_step(self, fraction: float, rate: float, frames: int) -> StepResult:
        """Publish ``frames`` frames at ``rate`` Hz and collect their outputs."""
        stamps = self._take_stamps(frames)
        node_cpu = cpu_seconds(self._node_process)
        clients_cpu = sum(cpu_seconds(p) for p in self._child_processes)
        start = time.monotonic()
        self._publisher.send((stamps, rate))
        sent_at: dict[int, float] = self._publisher.recv()
        wall = time.monotonic() - start
        node_cpu = cpu_seconds(self._node_process) - node_cpu
        clients_cpu = sum(cpu_seconds(p) for p in self._child_processes) - clients_cpu
        arrived = self._collect(stamps, timeout=QUIET_SECONDS)
        delivered = [s for s in stamps if s in arrived]
        send_times = np.array([sent_at[s] for s in delivered])
        latencies = np.array([arrived[s] for s in delivered]) - send_times
        falling_behind = (float(np.polyfit(send_times, latencies, 1)[0])
                          if len(delivered) > 2 else None)
        first, last = sent_at[stamps[0]], sent_at[stamps[-1]]
        achieved = (frames - 1) / (last - first) if last > first else float("nan")
        return StepResult(fraction, rate, achieved, frames, len(delivered),
                          (1000 * latencies).tolist(), falling_behind,
                          100 * node_cpu / wall, 100 * clients_cpu / wall)

    def _take_stamps(self, count: int) -> list[int]:
        stamps = [self._next_stamp + i * STAMP_STEP_NS for i in range(count)]
        self._next_stamp += count * STAMP_STEP_NS
        return stamps

    def _collect(self, stamps: list[int], timeout: float) -> dict[int, float]:
        """Arrival of the last subscribed output per complete stamp, until all or quiet."""
        wanted = set(stamps)
        arrival: dict[str, dict[int, float]] = {topic: {} for topic in self.outputs}
        complete: dict[int, float] = {}
        last_news = time.monotonic()
        while len(complete) < len(wanted) and time.monotonic() - last_news < timeout:
            time.sleep(0.05)
            self._subscriber.send("collect")
            news: dict[str, dict[int, float]] = self._subscriber.recv()
            for topic, times in news.items():
                arrival[topic].update((s, t) for s, t in times.items() if s in wanted)
            if any(news.values()):
                last_news = time.monotonic()
            complete = {s: max(arrival[t][s] for t in self.outputs)
                        for s in wanted if all(s in arrival[t] for t in self.outputs)}
        return complete

    def close(self) -> float | None:
        """Stop the publisher and subscriber; return the node's peak RSS in MiB."""
        peak = peak_rss_mb(self.node.process.pid)
        for conn in (self._publisher, self._subscriber):
            try:
                conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        for child in self._children:
            child.join(10.0)
            if child.is_alive():
                child.terminate()
                child.join()
        return peak


def measure_node(domain_id: int, scene: StereoScene, matcher: MatcherResult, algorithm: int,
                 outputs: tuple[str, ...], settings: Settings) -> NodeResult:
    """Step the publish rate up until a rate fails twice in a row."""
    height, width = scene.left.shape[:2]
    result = NodeResult(width, height, ALGORITHMS[algorithm], outputs)
    env = isolate_ros_environment(domain_id)
    with NodeProcess(config_file(PARAMS_FILE), parameters={"stereo_algorithm": algorithm},
                     env=env) as node:
        pipeline = Pipeline(domain_id, scene, node, outputs)
        try:
            result.error = pipeline.wait_ready()
            if result.error is not None:
                return result
            for fraction in settings.rate_fractions:
                rate = fraction * matcher.max_fps
                for _attempt in range(2):
                    step = pipeline.run_step(fraction, rate, settings.frames_at(rate))
                    result.steps.append(step)
                    print(f"    {step.achieved_rate:6.1f} Hz: {step.delivered}/{step.frames} "
                          f"frames, p50 {format_ms(step.latency_percentile(50))} ms, "
                          f"falling behind {format_percent(step.falling_behind)}, "
                          f"node CPU {step.node_cpu_percent:.0f} %", flush=True)
                    if step.sustained:
                        break
                else:
                    break
        finally:
            result.peak_rss_mb = pipeline.close()
    return result


# ------------------------------------------------------------------ report
def format_ms(value: float | None) -> str:
    """A latency in ms, or a dash."""
    return "-" if value is None else f"{value:.1f}"


def format_percent(fraction: float | None) -> str:
    """A fraction as a percentage, or a dash."""
    return "-" if fraction is None else f"{100 * fraction:.0f} %"


def latency_pair(step: StepResult | None) -> str:
    """``p50 / p99`` of a step."""
    if step is None:
        return "-"
    return f"{format_ms(step.latency_percentile(50))} / {format_ms(step.latency_percentile(99))}"


def matcher_table(matchers: list[MatcherResult]) -> str:
    """Markdown table of the bare matcher."""
    lines = ["| size | algorithm | mean ms | median ms | max fps | CPU ms per frame (cores) |",
             "|---|---|---:|---:|---:|---:|"]
    lines += [f"| {m.width}x{m.height} | {m.algorithm} | {m.mean_ms:.1f} | {m.median_ms:.1f} | "
              f"{m.max_fps:.1f} | {m.cpu_ms:.1f} ({m.cpu_ms / m.mean_ms:.1f}) |"
              for m in matchers]
    return "\n".join(lines)


def node_table(runs: list[NodeResult], matchers: dict[tuple[int, int, str], MatcherResult]
               ) -> str:
    """Markdown table of the node runs."""
    lines = ["| size | algorithm | outputs | bare fps | node max sustained Hz "
             "| sustained step / bare fps "
             "| latency p50 / p99 ms, light load | latency p50 / p99 ms, at max sustained "
             "| node CPU % at max | clients CPU % at max | node peak RSS MiB |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for run in runs:
        bare = matchers[(run.width, run.height, run.algorithm)].max_fps
        best, light = run.best_step(), run.light_step()
        if run.error is not None:
            cells = ["error"] + ["-"] * 6
        else:
            cells = [f"{best.achieved_rate:.1f}" if best else "0",
                     f"{best.fraction:.2f}" if best else "0",
                     latency_pair(light), latency_pair(best),
                     f"{best.node_cpu_percent:.0f}" if best else "-",
                     f"{best.clients_cpu_percent:.0f}" if best else "-",
                     f"{run.peak_rss_mb:.0f}" if run.peak_rss_mb is not None else "-"]
        lines.append(f"| {run.width}x{run.height} | {run.algorithm} | {', '.join(run.outputs)} "
                     f"| {bare:.1f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def target_lines(runs: list[NodeResult], matchers: dict[tuple[int, int, str], MatcherResult]
                 ) -> list[str]:
    """PASS/FAIL of the targets at 640x480 BM."""
    width, height = TARGET_SIZE
    name = ALGORITHMS[TARGET_ALGORITHM]
    if (width, height, name) not in matchers:
        return [f"- {width}x{height} {name} was not run"]
    matcher = matchers[(width, height, name)]
    latency_limit = LATENCY_MATCHER_FACTOR * matcher.mean_ms + LATENCY_ALLOWANCE_MS
    lines = []
    for run in runs:
        if (run.width, run.height, run.algorithm) != (width, height, name):
            continue
        label = f"{width}x{height} {name}, {' + '.join(run.outputs)}"
        best, light = run.best_step(), run.light_step()
        ratio = best.fraction if best else 0.0
        sustained = f"{best.achieved_rate:.1f} Hz" if best else "nothing"
        target = THROUGHPUT_TARGETS[run.outputs]
        lines.append(f"- {label}: node / bare throughput {ratio:.2f} ({sustained} sustained, "
                     f"bare {matcher.max_fps:.1f} fps; target >= {target}): "
                     f"{'PASS' if ratio >= target - 1e-9 else 'FAIL'}")
        for where, step in (("light load", light), ("at max sustained rate", best)):
            p50 = step.latency_percentile(50) if step else None
            verdict = "FAIL" if p50 is None or p50 > latency_limit else "PASS"
            lines.append(f"- {label}: p50 latency {where} {format_ms(p50)} ms (target <= "
                         f"{LATENCY_MATCHER_FACTOR:g} x {matcher.mean_ms:.1f} + "
                         f"{LATENCY_ALLOWANCE_MS:g} = {latency_limit:.1f} ms): {verdict}")
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--out", type=Path, default=None, help="write raw results as JSON")
    parser.add_argument("--sizes", nargs="+", default=[f"{w}x{h}" for w, h in SIZES],
                        choices=[f"{w}x{h}" for w, h in SIZES], help="image sizes to run")
    parser.add_argument("--algorithms", nargs="+", default=list(ALGORITHMS.values()),
                        choices=list(ALGORITHMS.values()), help="matchers to run")
    parser.add_argument("--domain-id", type=domain_id_argument, default=60 + os.getpid() % 20,
                        help="ROS_DOMAIN_ID of this run (traffic stays on 127.0.0.1)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run every measurement, print the tables and targets; always exit 0."""
    args = parse_args(argv)
    settings = QUICK if args.quick else FULL
    start = time.monotonic()
    print(f"{os.cpu_count()} CPU cores shared by the publisher, node and subscriber processes; "
          f"ROS_DOMAIN_ID {args.domain_id}; {'quick' if args.quick else 'full'} run", flush=True)
    matchers: dict[tuple[int, int, str], MatcherResult] = {}
    runs = []
    for width, height in SIZES:
        if f"{width}x{height}" not in args.sizes:
            continue
        scene = make_scene(width, height)
        for algorithm, name in ALGORITHMS.items():
            if name not in args.algorithms:
                continue
            # Measured just before the node runs it is the reference of, in the same conditions.
            matcher = measure_matcher(scene, algorithm, settings.matcher_repeats)
            matchers[(width, height, name)] = matcher
            print(f"bare {name} {width}x{height}: {matcher.mean_ms:.1f} ms per frame", flush=True)
            for outputs in OUTPUT_SETS:
                print(f"node {name} {width}x{height}, {' + '.join(outputs)}:", flush=True)
                run = measure_node(args.domain_id, scene, matcher, algorithm, outputs, settings)
                if run.error is not None:
                    print(f"    {run.error}", flush=True)
                runs.append(run)

    print(f"\n## Bare OpenCV matcher (in-process, grey uint8, config/stereo_depth.yaml)\n\n"
          f"{matcher_table(list(matchers.values()))}\n")
    print(f"## Node end to end (publisher -> node -> subscriber processes, mono8, "
          f"{os.cpu_count()} cores shared)\n\n{node_table(runs, matchers)}\n")
    print("## Targets\n\n" + "\n".join(target_lines(runs, matchers)))
    print(f"\n(total {time.monotonic() - start:.0f} s)")
    if args.out is not None:
        args.out.write_text(json.dumps({
            "cpu_count": os.cpu_count(),
            "settings": asdict(settings),
            "matcher": [asdict(m) | {"max_fps": m.max_fps} for m in matchers.values()],
            "node": [asdict(run) | {"sustained": [s.sustained for s in run.steps]}
                     for run in runs],
        }, indent=1))
        print(f"raw results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
