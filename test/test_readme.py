"""The README's parameter tables say what the parameter definitions say."""

import re
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
