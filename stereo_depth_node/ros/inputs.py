# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The node's input subscriptions: every message of a reliable camera, and best-effort ones too.

Camera drivers publish with ROS 2's default QoS (reliable) or with sensor data QoS
(best effort, REP 2003). A best-effort subscription (stereo_image_proc's choice)
turns a reliable camera's stream into a best-effort one, and a camera's large
images are then lost between processes whenever the middleware's transport cannot
hold them (Fast DDS's default shared memory holds 512 KB): with a set's four
messages sent back to back, most left images and camera_infos never arrived.
Reliable delivery repairs such losses.

So the inputs subscribe with ``BEST_AVAILABLE`` reliability: the middleware makes
a subscription reliable when every publisher present is reliable and best effort
otherwise. That choice is made once, when the subscription is created, so each
input is subscribed once a publisher of it is known (the inputs are checked every
:data:`PUBLISHER_CHECK_SECONDS`); a best-effort publisher that appears later is
incompatible with a reliable subscription and would never be heard, so that
subscription is made again and resolves to best effort. Each input keeps
:data:`INPUT_DEPTH` messages, room for repaired messages that arrive together.
The QoS override parameters
(``qos_overrides.<topic>.subscription.reliability|history|depth``) replace any of
these choices; ``use_system_default_qos`` takes the middleware's defaults instead.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from rclpy.event_handler import (
    QoSMessageLostInfo,
    QoSRequestedIncompatibleQoSInfo,
    SubscriptionEventCallbacks,
)
from rclpy.node import Node
from rclpy.qos import (
    HistoryPolicy,
    QoSProfile,
    ReliabilityPolicy,
    qos_profile_system_default,
)
from rclpy.qos_overriding_options import QoSOverridingOptions
from rclpy.subscription import Subscription

# Messages kept per input: a camera's writer keeps 10 (ROS 2's default depth), so repairs of
# up to 10 messages can arrive at once.
INPUT_DEPTH = 10
PUBLISHER_CHECK_SECONDS = 0.2  # how often inputs without a known publisher are looked at


def input_qos(use_system_default_qos: bool) -> QoSProfile:
    """A new QoS profile for one input subscription (overrides change it in place)."""
    if use_system_default_qos:
        return QoSProfile(**{slot[1:]: getattr(qos_profile_system_default, slot[1:])
                             for slot in QoSProfile.__slots__})
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=INPUT_DEPTH,
                      reliability=ReliabilityPolicy.BEST_AVAILABLE)


class InputSubscriptions:
    """The node's input subscriptions, made while some output is wanted.

    Parameters
    ----------
    node : Node
        The node that subscribes.
    topics, types : sequence
        Input topics (relative names) and their message types, in synchronizer order.
    use_system_default_qos : bool
        The middleware's default QoS instead of ``BEST_AVAILABLE`` reliability.
    on_message : callable
        ``on_message(index, message)`` for each message, ``index`` into ``topics``.

    Attributes
    ----------
    lost : collections.Counter
        Messages the middleware reported lost, per topic, since the last
        :meth:`take_lost` (best-effort streams only: reliable ones are repaired).
    """

    def __init__(self, node: Node, topics: Sequence[str], types: Sequence[type],
                 use_system_default_qos: bool, on_message: Callable[[int, Any], None]) -> None:
        self._node = node
        self.topics = tuple(topics)
        self._types = tuple(types)
        self._use_system_default_qos = use_system_default_qos
        self._on_message = on_message
        self._overrides = QoSOverridingOptions.with_default_policies()
        self._wanted = False
        self._subscriptions: dict[int, Subscription[Any]] = {}
        self._to_renew: set[int] = set()
        self._renew = node.create_guard_condition(self._renew_incompatible)
        node.create_timer(PUBLISHER_CHECK_SECONDS, self._subscribe_published)
        self.lost: Counter[str] = Counter()

    @property
    def active(self) -> bool:
        """Whether the inputs are wanted: subscribed, or waiting for their publishers."""
        return self._wanted

    def subscribe(self) -> None:
        """Subscribe to every input, each once a publisher of it is known."""
        self._wanted = True
        self._subscribe_published()

    def unsubscribe(self) -> None:
        """Leave every input."""
        self._wanted = False
        for subscription in self._subscriptions.values():
            self._node.destroy_subscription(subscription)
        self._subscriptions.clear()
        self._to_renew.clear()

    def _subscribe_published(self) -> None:
        """Subscribe the wanted inputs that have a publisher (all at once with system QoS)."""
        if not self._wanted or len(self._subscriptions) == len(self.topics):
            return
        for index, topic in enumerate(self.topics):
            if index not in self._subscriptions and (
                    self._use_system_default_qos
                    or self._node.count_publishers(self._node.resolve_topic_name(topic))):
                self._subscriptions[index] = self._subscribe(index)

    def take_lost(self) -> Counter[str]:
        """The messages lost per topic since the last call."""
        lost, self.lost = self.lost, Counter()
        return lost

    def publisher_reliabilities(self, topic: str) -> list[ReliabilityPolicy]:
        """The reliability of each publisher on an input ``topic`` (relative name)."""
        infos = self._node.get_publishers_info_by_topic(self._node.resolve_topic_name(topic))
        return [info.qos_profile.reliability for info in infos]

    def _subscribe(self, index: int) -> Subscription[Any]:
        events = SubscriptionEventCallbacks(
            incompatible_qos=functools.partial(self._on_incompatible, index),
            message_lost=functools.partial(self._on_lost, index))
        return self._node.create_subscription(
            self._types[index], self.topics[index],
            functools.partial(self._on_message, index), input_qos(self._use_system_default_qos),
            qos_overriding_options=self._overrides, event_callbacks=events)

    def _on_incompatible(self, index: int, info: QoSRequestedIncompatibleQoSInfo) -> None:
        """A publisher this subscription cannot hear: subscribe again if that may resolve it."""
        if index not in self._subscriptions:  # unsubscribed meanwhile
            return
        if self._subscriptions[index].qos_profile.reliability != ReliabilityPolicy.BEST_AVAILABLE:
            self._node.get_logger().warning(
                f"a publisher on {self.topics[index]} offers QoS this subscription cannot "
                f"take ({_policy_name(info.last_policy_kind)}); its QoS override parameters "
                "fix it", throttle_duration_sec=5.0)
            return
        self._to_renew.add(index)
        self._renew.trigger()

    def _renew_incompatible(self) -> None:
        for index in sorted(self._to_renew):
            if index in self._subscriptions:
                self._node.destroy_subscription(self._subscriptions[index])
                self._subscriptions[index] = self._subscribe(index)
                self._node.get_logger().info(
                    f"a best-effort publisher appeared on {self.topics[index]}: subscribed "
                    "again, best effort, to hear it")
        self._to_renew.clear()

    def _on_lost(self, index: int, info: QoSMessageLostInfo) -> None:
        self.lost[self.topics[index]] += info.total_count_change


def _policy_name(kind: Any) -> str:
    """``RELIABILITY`` for a QoS policy kind, whatever rclpy gives."""
    return str(getattr(kind, "name", kind))
