"""Lists the Scene subclasses of a file without running it. Run as `python -m manim_worker.inspect_scenes`.

A long-lived server: reads one JSON request per line on stdin (`{"id", "code"}`) and answers one JSON line on
stdout: `{"id", "scenes": [...]}` or `{"id", "error": {"code", "message", "line"?}}`. Only the standard
library's parser runs here; the code is never executed, so this needs no sandbox and no Manim.
"""

from __future__ import annotations

import ast
import json
import sys
from typing import Any

# Manim's Scene and its subclasses that user scenes derive from. A class also counts when it derives from a
# class of the same file that counts (a user's own base scene).
MANIM_SCENE_CLASSES = frozenset(
    {
        "Scene",
        "MovingCameraScene",
        "ThreeDScene",
        "SpecialThreeDScene",
        "ZoomedScene",
        "VectorScene",
        "LinearTransformationScene",
    }
)


def _base_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):  # manim.Scene, m.ThreeDScene
        return node.attr
    return None


# Modules whose only use is the network. Importing them cannot work inside a render (there is no network), so a
# submit that does is told at once. This is a courtesy, not a defence: the sandbox holds whatever the code does.
NETWORK_MODULES = frozenset(
    {"socket", "ssl", "requests", "httpx", "aiohttp", "urllib3", "http.client", "urllib.request", "ftplib", "smtplib", "websocket", "websockets"}
)


class LintError(Exception):
    def __init__(self, code: str, message: str, line: int) -> None:
        super().__init__(message)
        self.code = code
        self.line = line


def lint(tree: ast.Module) -> None:
    """Raises LintError for the first import of a network module."""
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if name in NETWORK_MODULES or name.split(".")[0] in NETWORK_MODULES:
                raise LintError("network_unavailable", f"renders have no network: line {node.lineno} imports {name}", node.lineno)


def list_scenes(code: str, check: bool = False) -> list[str]:
    tree = ast.parse(code, filename="scene.py")
    if check:
        lint(tree)
    scenes: list[str] = []
    known = set(MANIM_SCENE_CLASSES)
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        if any(_base_name(base) in known for base in node.bases):
            known.add(node.name)
            if node.name not in scenes:
                scenes.append(node.name)
    return scenes


def answer(request: dict[str, Any]) -> dict[str, Any]:
    request_id = request.get("id")
    try:
        return {"id": request_id, "scenes": list_scenes(request["code"], bool(request.get("lint")))}
    except LintError as exc:
        return {"id": request_id, "error": {"code": exc.code, "message": str(exc), "line": exc.line}}
    except SyntaxError as exc:
        error: dict[str, Any] = {"code": "syntax_error", "message": exc.msg or "invalid syntax"}
        if exc.lineno:
            error["line"] = exc.lineno
        return {"id": request_id, "error": error}
    except (RecursionError, MemoryError, ValueError) as exc:
        # Deeply nested or otherwise unparseable input: still the caller's code at fault.
        return {"id": request_id, "error": {"code": "syntax_error", "message": f"cannot parse the code: {type(exc).__name__}"}}


def main() -> None:
    for line in sys.stdin:
        try:
            request = json.loads(line)
            response = answer(request)
        except Exception as exc:  # a malformed request from our own side: report, keep serving
            response = {"id": None, "error": {"code": "bad_request", "message": str(exc)[:500]}}
        sys.stdout.write(json.dumps(response) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
