"""Extracts every `.. manim::` example from the docstrings of the installed `manim` package, as JSON.

    python scripts/conformance/extract_examples.py > examples.json

Each example: {"id", "module", "scene", "code", "saveLastFrame", "options"}. The code is the directive's body,
dedented, as the documentation renders it (with `from manim import *` in front, as Manim's Sphinx directive adds).
Run with the interpreter of the renderer's venv: the examples are those of the Manim that renders.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path

import manim

DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\. manim:: *(?P<scene>\w+) *$")
OPTION = re.compile(r"^[ \t]*:(?P<name>[a-z_]+):(?P<value>.*)$")


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def docstrings_of(path: Path) -> list[str]:
    """Every docstring of the file as Python reads it (its value, escapes applied), which is what Sphinx renders."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)))]
    return [doc for doc in (ast.get_docstring(node, clean=True) for node in nodes) if doc and ".. manim::" in doc]


def examples_in(path: Path, package_root: Path) -> list[dict]:
    module = ".".join(path.relative_to(package_root.parent).with_suffix("").parts)
    found = []
    for doc in docstrings_of(path):
        found.extend(_examples_of(doc.splitlines(), module))
    return found


def _examples_of(lines: list[str], module: str) -> list[dict]:
    found = []
    i = 0
    while i < len(lines):
        match = DIRECTIVE.match(lines[i])
        if not match:
            i += 1
            continue
        base = _indent_of(lines[i])
        i += 1
        options: dict[str, str] = {}
        while i < len(lines) and OPTION.match(lines[i]) and _indent_of(lines[i]) > base:
            option = OPTION.match(lines[i])
            options[option["name"]] = option["value"].strip()
            i += 1
        body: list[str] = []
        while i < len(lines) and (not lines[i].strip() or _indent_of(lines[i]) > base):
            body.append(lines[i])
            i += 1
        while body and not body[-1].strip():
            body.pop()
        indent = min((_indent_of(line) for line in body if line.strip()), default=0)
        code = "\n".join(line[indent:] for line in body).strip("\n")
        found.append(
            {
                "id": f"{module}.{match['scene']}",
                "module": module,
                "scene": match["scene"],
                "code": "from manim import *\n\n" + code + "\n",
                "saveLastFrame": "save_last_frame" in options,
                "options": options,
            }
        )
    return found


def main() -> None:
    package_root = Path(manim.__file__).parent
    examples: list[dict] = []
    for path in sorted(package_root.rglob("*.py")):
        examples.extend(examples_in(path, package_root))
    seen: dict[str, int] = {}
    for example in examples:  # the same scene name documented twice in one module
        count = seen.get(example["id"], 0)
        seen[example["id"]] = count + 1
        if count:
            example["id"] = f"{example['id']}#{count + 1}"
    json.dump({"manim": manim.__version__, "examples": examples}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
