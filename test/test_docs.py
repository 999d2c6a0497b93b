# Copyright 2026 The stereo_depth_node Authors
# SPDX-License-Identifier: Apache-2.0
"""The documentation says what the code does: parameter tables, the core example, links."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from stereo_depth_node.core.parameters import PARAMETERS

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "doc"
PAGES = [ROOT / "README.md", *sorted(DOC.glob("*.md"))]
ROW = re.compile(r"^\| `(\w+)` \| ([^|]*) \| ([^|]*) \|")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def yaml_text(value):
    return str(value).lower() if isinstance(value, bool) else str(value)


def parameter_rows():
    """The rows of the parameter tables: doc/parameters.md and doc/depth_quality.md."""
    rows = [ROW.match(line) for page in ("parameters.md", "depth_quality.md")
            for line in (DOC / page).read_text().splitlines()]
    return [row.groups() for row in rows if row and row[1] in PARAMETERS]


def test_every_parameter_has_one_row_with_its_default_and_allowed_values():
    rows = parameter_rows()
    assert sorted(name for name, _, _ in rows) == sorted(PARAMETERS)
    for name, default, allowed in rows:
        spec = PARAMETERS[name]
        assert default.strip() == yaml_text(spec.default), name
        assert allowed.strip().startswith(spec.allowed()), name


def test_the_core_example_prints_what_the_page_says():
    section = (DOC / "python_api.md").read_text()
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    printed = section.split("prints\n\n```\n", 1)[1].split("```", 1)[0]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == printed
    assert "depth 3.000 m" in printed  # f T / d = 500 px * 0.12 m / 20 px


def anchors(page):
    """The anchors of a page's headings, as GitHub makes them."""
    slugs = set()
    fenced = False
    for line in page.read_text().splitlines():
        fenced ^= line.startswith("```")
        if not fenced and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            slugs.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return slugs


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_reaches_a_file_and_heading(page):
    for target in LINK.findall(page.read_text()):
        if "://" in target:
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{page.name}: {target}"
        if anchor:
            assert anchor in anchors(file), f"{page.name}: {target}"


def test_the_readme_fits_a_first_reading_and_points_to_every_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    for page in DOC.glob("*.md"):
        assert f"(doc/{page.name})" in readme, page.name
    index = (DOC / "index.rst").read_text()
    assert sorted(re.findall(r"^   (\w+)$", index, re.M)) == sorted(
        page.stem for page in DOC.glob("*.md"))
