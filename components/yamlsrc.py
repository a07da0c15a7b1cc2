"""YAML reading that remembers where every value came from.

PyYAML's ``safe_load`` throws line numbers away; authors need them in error messages, so we compose
the node graph ourselves and keep a ``path -> line`` map beside the plain Python data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PathKey = tuple[str | int, ...]


@dataclass
class Problem:
    """One thing wrong with an artefact file, phrased for the person who edits it."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field or '(file)'}: {self.message}"


@dataclass
class Source:
    """A parsed YAML document plus the line of every mapping value and list item."""

    file: str
    data: Any
    lines: dict[PathKey, int] = field(default_factory=dict)

    def line(self, path: PathKey) -> int | None:
        """Line of ``path``, or of its nearest ancestor that has one."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


def format_path(path: PathKey) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _convert(
    node: yaml.Node,
    path: PathKey,
    src: Source,
    problems: list[Problem],
    constructor: yaml.constructor.SafeConstructor,
) -> Any:
    src.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            if key in result:
                problems.append(
                    Problem(
                        src.file,
                        key_node.start_mark.line + 1,
                        format_path((*path, key)),
                        "this key appears twice in the same mapping",
                    )
                )
            child = (*path, key)
            src.lines[child] = key_node.start_mark.line + 1
            result[key] = _convert(value_node, child, src, problems, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, (*path, i), src, problems, constructor) for i, item in enumerate(node.value)]
    # Scalars: let the safe constructor resolve ints, floats, bools and nulls.
    return constructor.construct_object(node)


def _key_on_line(text: str, line: int | None) -> str:
    """The mapping key written on ``line``, so a syntax error still names a field when it can."""
    if not line:
        return ""
    lines = text.splitlines()
    if line > len(lines):
        return ""
    match = re.match(r"^\s*(?:-\s+)?([A-Za-z0-9_.-]+)\s*:", lines[line - 1])
    return match.group(1) if match else ""


def read_yaml(path: Path, display_name: str) -> tuple[Source | None, list[Problem]]:
    """Parse ``path``; on a syntax error return no source and a problem naming line and column."""
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(display_name, None, "", f"cannot be read ({exc})")]
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        # The context mark is where the broken construct *starts* (an unclosed bracket, say): that
        # is the line to fix; the problem mark is where the parser noticed.
        start = exc.context_mark or exc.problem_mark
        noticed = exc.problem_mark
        line = start.line + 1 if start else None
        what = exc.problem or exc.context or "syntax error"
        if noticed and start is not noticed:
            what += f" at line {noticed.line + 1}, column {noticed.column + 1}"
        elif noticed:
            what += f", column {noticed.column + 1}"
        key = _key_on_line(text, line)
        return None, [Problem(display_name, line, key, f"is not valid YAML ({what})")]
    except yaml.YAMLError as exc:  # pragma: no cover - composer errors are all marked
        return None, [Problem(display_name, None, "", f"is not valid YAML ({exc})")]
    src = Source(display_name, None)
    if node is None:
        return src, [Problem(display_name, 1, "", "is empty")]
    src.data = _convert(node, (), src, problems, yaml.constructor.SafeConstructor())
    return src, problems
