# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""How the node is doing, as a ``diagnostic_msgs/DiagnosticStatus`` like diagnostic_updater's.

:class:`NodeHealth` counts what happens between two reports: messages per input,
synchronized sets and their stamp spread, messages per output, frames dropped by
reason, processing time and end-to-end latency. :meth:`NodeHealth.report` turns
one period into a status (rqt_robot_monitor and Foxglove show ``/diagnostics``)
and starts the next period. An input that receives far fewer messages than its
partners over the last few periods is a WARN that names the likely cause and the
fix (:func:`loss_explanation`).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue

from stereo_depth_node.core.delivery import ArrivalWindow, LaggingInput

REASONS_SHOWN = 5  # distinct drop reasons listed per report
REASON_LENGTH = 160  # characters of each


@dataclass
class PeriodCounts:
    """What happened in one reporting period."""

    inputs: Counter[str] = field(default_factory=Counter)
    outputs: Counter[str] = field(default_factory=Counter)
    sets: int = 0
    processed: int = 0
    behind: int = 0  # synchronized sets replaced by a newer one before matching began
    dropped: Counter[str] = field(default_factory=Counter)
    depth_refused: Counter[str] = field(default_factory=Counter)
    callback_failures: int = 0
    sync_dropped: int = 0  # input messages the synchronizer discarded (no partner, late, stray)
    lost: Counter[str] = field(default_factory=Counter)  # reported lost by the middleware
    processing_seconds: list[float] = field(default_factory=list)
    latency_seconds: list[float] = field(default_factory=list)
    skew_seconds: list[float] = field(default_factory=list)


class NodeHealth:
    """Counts of one period and the level they amount to.

    Parameters
    ----------
    name : str
        Status name, ``"<node name>: <task>"`` as diagnostic_updater writes it.
    inputs, outputs : sequence of str
        Topic names, for the per-topic rates.
    """

    def __init__(self, name: str, inputs: Sequence[str], outputs: Sequence[str]) -> None:
        self.name = name
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self.period = PeriodCounts()
        self.dropped_total = 0
        self.hardware_id = ""
        self.arrivals = ArrivalWindow(self.inputs)

    def report(self, period_seconds: float, seconds_without_sets: float | None,
               stall_seconds: float,
               explain_loss: Callable[[LaggingInput], str]) -> DiagnosticStatus:
        """The status of the period just ended (``period_seconds`` long); starts a new one.

        ``seconds_without_sets`` is how long inputs have arrived without a
        synchronized set (None when they form); beyond ``stall_seconds`` that is a WARN.
        An input lagging behind its partners over the last periods is a WARN too, with
        ``explain_loss(lagging)`` after the figures.
        """
        counts, self.period = self.period, PeriodCounts()
        self.arrivals.add(counts.inputs, period_seconds)
        lagging = self.arrivals.lagging()
        level, message = _level(counts, seconds_without_sets, stall_seconds,
                                lagging_message(lagging, explain_loss) if lagging else None)
        values = [(f"input rate {topic} (Hz)", _rate(counts.inputs[topic], period_seconds))
                  for topic in self.inputs]
        values.append(("synchronized sets (Hz)", _rate(counts.sets, period_seconds)))
        values += [(f"output rate {topic} (Hz)", _rate(counts.outputs[topic], period_seconds))
                   for topic in self.outputs]
        values += [("frames processed", str(counts.processed)),
                   ("frames dropped", str(sum(counts.dropped.values()))),
                   ("frames dropped since start", str(self.dropped_total)),
                   ("frames skipped: processing behind the inputs", str(counts.behind)),
                   ("callback failures", str(counts.callback_failures)),
                   ("messages dropped by the synchronizer", str(counts.sync_dropped))]
        values += [(f"messages lost in transport {topic}", str(counts.lost[topic]))
                   for topic in self.inputs]
        values += [(f"dropped: {reason[:REASON_LENGTH]}", str(n))
                   for reason, n in counts.dropped.most_common(REASONS_SHOWN)]
        values += [(f"no depth: {reason[:REASON_LENGTH]}", str(n))
                   for reason, n in counts.depth_refused.most_common(REASONS_SHOWN)]
        for label, samples in (("processing time", counts.processing_seconds),
                               ("latency", counts.latency_seconds),
                               ("sync skew", counts.skew_seconds)):
            values += [(f"{label} p50 (ms)", _milliseconds(samples, statistics.median)),
                       (f"{label} max (ms)", _milliseconds(samples, max))]
        return DiagnosticStatus(level=level, name=self.name, message=message,
                                hardware_id=self.hardware_id,
                                values=[KeyValue(key=key, value=value) for key, value in values])

    def dropped(self, reason: str) -> None:
        """A synchronized frame that could not be processed, and why."""
        self.period.dropped[reason] += 1
        self.dropped_total += 1


def lagging_message(lagging: Sequence[LaggingInput],
                    explain_loss: Callable[[LaggingInput], str]) -> str:
    """One line: the inputs that lose messages, then why and what to do about the worst."""
    figures = "; ".join(lag.describe() for lag in lagging)
    return f"inputs lose messages: {figures}: {explain_loss(lagging[0])}"


def loss_explanation(topic: str, best_effort: bool | None, profile: str) -> str:
    """The likely cause of ``topic``'s lost messages and the fix.

    ``best_effort``: whether a publisher on it sends best effort (None: no
    publisher now); ``profile`` is the path of the package's Fast DDS profile.
    """
    fix = (f"give the camera's process this package's Fast DDS profile "
           f"(FASTDDS_DEFAULT_PROFILES_FILE={profile}; FASTRTPS_DEFAULT_PROFILES_FILE on "
           "Humble, Iron and Jazzy)")
    if best_effort is None:
        return f"{topic} has no publisher now; check that the camera driver runs"
    if best_effort:
        return (f"{topic}'s publisher sends best effort, and large best-effort messages are "
                "lost over Fast DDS's default shared-memory transport (it holds 512 KB): "
                f"publish reliably (ROS 2's default QoS), or {fix}")
    return (f"{topic}'s publisher is reliable, but its large messages are lost over Fast DDS's "
            "default shared-memory transport (it holds 512 KB) faster than they are repaired: "
            f"{fix}")


def _level(counts: PeriodCounts, seconds_without_sets: float | None,
           stall_seconds: float, lagging: str | None) -> tuple[bytes, str]:
    """The level of a period and the one line that explains it.

    ``lagging`` says which inputs lose messages (:func:`lagging_message`), or is None.
    """
    dropped = sum(counts.dropped.values())
    if dropped and not counts.processed:
        return DiagnosticStatus.ERROR, f"every frame failed ({dropped} dropped)"
    if seconds_without_sets is not None and seconds_without_sets >= stall_seconds:
        stalled = f"inputs arrive but no synchronized set for {seconds_without_sets:.0f} s"
        return DiagnosticStatus.WARN, stalled + (f"; {lagging}" if lagging else "")
    if lagging:
        return DiagnosticStatus.WARN, lagging
    if dropped:
        return DiagnosticStatus.WARN, f"{dropped} of {dropped + counts.processed} frames dropped"
    if counts.depth_refused:
        return DiagnosticStatus.WARN, "calibration gives no depth: disparity only"
    if counts.callback_failures:
        return DiagnosticStatus.WARN, f"{counts.callback_failures} callback(s) failed"
    if not counts.sets:
        return DiagnosticStatus.OK, "waiting for inputs"
    return DiagnosticStatus.OK, f"{counts.processed} frames processed"


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:.1f}" if seconds > 0 else "0.0"


def _milliseconds(samples: list[float], pick: Callable[[list[float]], float]) -> str:
    return f"{1000 * pick(samples):.1f}" if samples else "-"
