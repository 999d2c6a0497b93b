# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The README's parameter tables say what the parameter definitions say."""

import re
import subprocess
import sys
from pathlib import Path

from stereo_depth_node.core.parameters import PARAMETERS

README = Path(__file__).resolve().parent.parent / "README.md"
ROW = re.compile(r"^\| `(\w+)` \| ([^|]*) \| ([^|]*) \|")


def yaml_text(value):
    return str(value).lower() if isinstance(value, bool) else str(value)


def parameter_rows():
    rows = [ROW.match(line) for line in README.read_text().splitlines()]
    return [row.groups() for row in rows if row and row[1] in PARAMETERS]


def test_every_parameter_has_one_row_with_its_default_and_allowed_values():
    rows = parameter_rows()
    assert sorted(name for name, _, _ in rows) == sorted(PARAMETERS)
    for name, default, allowed in rows:
        spec = PARAMETERS[name]
        assert default.strip() == yaml_text(spec.default), name
        assert allowed.strip().startswith(spec.allowed()), name


def test_the_core_example_prints_what_the_readme_says():
    section = README.read_text().split("## From Python: the core", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    printed = section.split("prints\n\n```\n", 1)[1].split("```", 1)[0]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == printed
    assert "depth 3.000 m" in printed  # f T / d = 500 px * 0.12 m / 20 px
