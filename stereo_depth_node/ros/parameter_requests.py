# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The node's parameter services, answering a malformed request with a refusal.

rclpy's own services raise on a ``SetParameters`` or ``SetParametersAtomically``
request whose value has no parameter type (``ParameterValue.type`` 10, say): the
client gets no answer and waits out its timeout, and the node's log gets a
traceback. :class:`CheckedParameterService` answers such a parameter with
``successful = false`` and a reason naming the parameter, the type and the types
allowed, and hands every well-formed one to rclpy's service as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rcl_interfaces.msg import Parameter as ParameterMessage
from rcl_interfaces.msg import SetParametersResult
from rcl_interfaces.srv import SetParameters, SetParametersAtomically
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.parameter_service import ParameterService

PARAMETER_TYPES = {kind.value: kind.name.lower() for kind in Parameter.Type}


def type_refusal(message: ParameterMessage) -> str | None:
    """Why ``message``'s value type is no parameter type; None when it is one."""
    if message.value.type in PARAMETER_TYPES:
        return None
    allowed = ", ".join(f"{value} ({name})" for value, name in PARAMETER_TYPES.items())
    return (f"parameter {message.name!r}: value type {message.value.type} is not a parameter "
            f"type; the types are {allowed}")


class CheckedParameterService(ParameterService):
    """rclpy's parameter services, with set requests checked for value types first.

    Parameters
    ----------
    node : Node
        The node whose parameters these are (created with ``start_parameter_services=False``).
    warn : callable
        ``warn(reason)``: one warning for each refused request.
    """

    def __init__(self, node: Node, warn: Callable[[str], None]) -> None:
        super().__init__(node)
        self._warn = warn

    def _refusals(self, service: str, parameters: Sequence[ParameterMessage]) -> list[str | None]:
        refusals = [type_refusal(message) for message in parameters]
        for reason in filter(None, refusals):
            self._warn(f"refused a {service} request: {reason}")
        return refusals

    def _set_parameters_callback(self, request: SetParameters.Request,
                                 response: SetParameters.Response) -> SetParameters.Response:
        refusals = self._refusals("set_parameters", request.parameters)
        for message, refusal in zip(request.parameters, refusals):
            if refusal is None:
                one = SetParameters.Request(parameters=[message])
                response.results += super()._set_parameters_callback(
                    one, SetParameters.Response()).results
            else:
                response.results.append(SetParametersResult(successful=False, reason=refusal))
        return response

    def _set_parameters_atomically_callback(
            self, request: SetParametersAtomically.Request,
            response: SetParametersAtomically.Response) -> SetParametersAtomically.Response:
        refusals = [reason for reason in self._refusals("set_parameters_atomically",
                                                        request.parameters) if reason]
        if refusals:
            response.result = SetParametersResult(successful=False, reason="; ".join(refusals))
            return response
        return super()._set_parameters_atomically_callback(request, response)
