"""`scaletui import-scalehub FILE.ini`: write conf/ TOML files from a Scalehub INI and list what was not mapped."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "import-scalehub",
        help="turn a Scalehub INI into conf/ platform and experiment TOML files",
        description=(
            "Read a Scalehub INI ([platforms] platforms = a, b; [platforms.a] type = Grid5000; [experiment] ...) and "
            "write conf/platforms/<name>.toml and conf/experiments/<name>.toml (a step schedule becomes the schedule "
            "strategy's plan). "
            "Every file is validated before anything is written. Keys that could not be mapped are listed with the "
            "reason; secrets (passwords, tokens) are never copied."
        ),
    )
    parser.add_argument("file", metavar="FILE.ini", help="the Scalehub INI file")
    parser.add_argument("--conf-dir", default="conf", metavar="DIR", help="where to write (default: conf)")
    parser.add_argument("--force", action="store_true", help="overwrite files that already exist")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from scaletui.scalehub import import_scalehub

    plan = import_scalehub(args.file, args.conf_dir, force=args.force)
    print(f"Imported {args.file}:")
    for planned in plan.files:
        print(f"  wrote {planned.kind:<10} {planned.path}")
    for note in plan.notes:
        print(f"  note: {note}")
    if plan.unmapped:
        print(f"{len(plan.unmapped)} key(s) not mapped:")
        for key in plan.unmapped:
            print(f"  {key}  ({key.reason})")
    else:
        print("Every key was mapped.")
    return 0
