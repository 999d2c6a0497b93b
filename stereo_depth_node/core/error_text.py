# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""Problems with the user's files described in one line, for the offline tools' error messages.

ROS-free and without dependencies: YAML errors are read through the attributes PyYAML's and
ruamel.yaml's ``MarkedYAMLError`` both have, so the bag layer and the file readers share it.
"""

from __future__ import annotations


def one_line(text: str) -> str:
    """``text`` with every run of white space, line breaks included, made one space."""
    return " ".join(text.split())


def yaml_reason(error: BaseException) -> str:
    """What a YAML parser found wrong, without where: ``expected X, but found Y (while Z)``."""
    problem = getattr(error, "problem", None)
    context = getattr(error, "context", None)
    if not problem:
        return one_line(str(error))
    return one_line(f"{problem} ({context})" if context else str(problem))


def yaml_problem(path: object, error: BaseException) -> str:
    """Where and what a YAML parser found wrong in ``path``, on one line.

    ``FILE, line 3, column 5: not valid YAML: PROBLEM``, lines and columns
    counted from 1 as editors show them; ``FILE: not valid YAML: ...`` for an
    error without a position (one that is not a ``MarkedYAMLError``).
    """
    mark = getattr(error, "problem_mark", None)
    if mark is None or not getattr(error, "problem", None):
        return f"{path}: not valid YAML: {yaml_reason(error)}"
    return (f"{path}, line {mark.line + 1}, column {mark.column + 1}: not valid YAML: "
            f"{yaml_reason(error)}")
