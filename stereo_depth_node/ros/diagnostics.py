# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""How the node is doing, as a ``diagnostic_msgs/DiagnosticStatus`` like diagnostic_updater's.

:class:`NodeHealth` counts what happens between two reports: messages per input,
synchronized sets and their stamp spread, messages per output, frames dropped by
reason, processing time and end-to-end latency. :meth:`NodeHealth.report` turns
one period into a status (rqt_robot_monitor and Foxglove show ``/diagnostics``)
and starts the next period.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue

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

    def report(self, period_seconds: float, seconds_without_sets: float | None,
               stall_seconds: float) -> DiagnosticStatus:
        """The status of the period just ended (``period_seconds`` long); starts a new one.

        ``seconds_without_sets`` is how long inputs have arrived without a
        synchronized set (None when they form); beyond ``stall_seconds`` that is a WARN.
        """
        counts, self.period = self.period, PeriodCounts()
        level, message = _level(counts, seconds_without_sets, stall_seconds)
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


def _level(counts: PeriodCounts, seconds_without_sets: float | None,
           stall_seconds: float) -> tuple[bytes, str]:
    """The level of a period and the one line that explains it."""
    dropped = sum(counts.dropped.values())
    if dropped and not counts.processed:
        return DiagnosticStatus.ERROR, f"every frame failed ({dropped} dropped)"
    if seconds_without_sets is not None and seconds_without_sets >= stall_seconds:
        return DiagnosticStatus.WARN, (f"inputs arrive but no synchronized set for "
                                       f"{seconds_without_sets:.0f} s")
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
