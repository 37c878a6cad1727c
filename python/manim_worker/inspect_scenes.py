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


def list_scenes(code: str) -> list[str]:
    tree = ast.parse(code, filename="scene.py")
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
        return {"id": request_id, "scenes": list_scenes(request["code"])}
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
