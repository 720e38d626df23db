"""The engine never imports textual or rich; heavy libraries load only when their feature is used."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import scaletui

ROOT = Path(scaletui.__file__).parent
UI_PACKAGES = ("scaletui.tui",)


def engine_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages([str(ROOT)], "scaletui."):
        if not info.name.startswith(UI_PACKAGES) and info.name != "scaletui.__main__":
            names.append(info.name)
    return names


def test_engine_modules_import_no_ui_library() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {engine_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"engine imported UI modules: {out.stdout.strip()}"


def test_cli_parser_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from scaletui.cli import build_parser\n"
        "build_parser()\n"
        "heavy = ('enoslib', 'kubernetes', 'ansible_runner', 'matplotlib', 'pyarrow', 'textual')\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


LOWER_PACKAGES = ("cluster", "flink", "chaos", "stages", "platforms")


def test_lower_packages_never_touch_the_session_store() -> None:
    """One writer of the session: the engine's reducer. Lower packages publish events or take a small protocol
    (the fault journal); none names the store, in an import or anywhere else."""
    import ast

    offenders = []
    for package in LOWER_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names: list[str] = []
                if isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module] + [a.name for a in node.names]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.Name | ast.Attribute):
                    names = [node.id if isinstance(node, ast.Name) else node.attr]
                if any(n == "scaletui.session.store" or n == "SessionStore" for n in names):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
