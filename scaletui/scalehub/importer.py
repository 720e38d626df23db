"""Turn one Scalehub INI into scaletui's conf/ TOML files, validated before anything is written.

`plan_import` maps and validates without touching the disk; `write_plan` writes all files or none (it refuses to
overwrite unless forced). Keys that produced nothing are returned with a reason, and listed as comments at the top
of the file they concern, so the user sees what to finish by hand.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ValidationError

from scaletui.atomic_file import atomic_write
from scaletui.config.errors import from_validation
from scaletui.config.models import Experiment, PlatformFile
from scaletui.errors import ConfigError
from scaletui.platforms.registry import BUILTIN, ENTRY_POINT_GROUP, platform_types
from scaletui.scalehub.experiment import build_experiment
from scaletui.scalehub.ini import ScalehubIni, UnmappedKey
from scaletui.scalehub.platforms import build_platform, platform_names, safe_name, unused_platform_sections

Kind = Literal["platform", "experiment"]

MODELS: dict[str, type[BaseModel]] = {"platform": PlatformFile, "experiment": Experiment}
FOLDERS = {"platform": "platforms", "experiment": "experiments"}


@dataclass
class PlannedFile:
    kind: Kind
    name: str
    path: Path
    text: str
    sections: tuple[str, ...]
    """INI sections this file was made from: its header lists their unmapped keys."""


@dataclass
class ImportPlan:
    source: Path
    files: list[PlannedFile] = field(default_factory=list)
    unmapped: list[UnmappedKey] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    def existing(self) -> list[Path]:
        return [f.path for f in self.files if f.path.exists()]


def plan_import(ini_path: Path | str, conf_dir: Path | str = "conf") -> ImportPlan:
    """Read, map and validate; raises ConfigError (one sentence naming the INI and key) on a malformed INI."""
    ini_path, conf_dir = Path(ini_path), Path(conf_dir)
    ini = ScalehubIni.read(ini_path)
    plan = ImportPlan(source=ini_path.resolve())
    for key in ini.keys("scalehub"):
        ini.skip("scalehub", key, "Scalehub's own paths and options; scaletui's are in conf/scaletui.toml")

    docs: list[tuple[Kind, str, dict[str, Any], tuple[str, ...]]] = []
    names = platform_names(ini)
    default_name = safe_name(ini_path.stem)
    known = platform_types()
    for name in names:
        platform_name, doc = build_platform(ini, name, default_name)
        section = f"platforms.{name}" if name else "platform"
        docs.append(("platform", platform_name, doc, (section,)))
        kind = doc["platform"]["type"]
        if kind not in known:
            plan.notes.append(
                f"Platform {platform_name} has type {kind}, which no installed plugin provides: it cannot be reserved "
                f"until a package registers it under the {ENTRY_POINT_GROUP!r} entry points (built in: "
                f"{', '.join(sorted(BUILTIN))})."
            )
    unused_platform_sections(ini, names)

    if ini.has("experiment"):
        first_platform = docs[0][1] if docs else None
        imported = build_experiment(ini, default_name, first_platform)
        if len(docs) > 1:
            imported.notes.append(
                f"The INI has {len(docs)} platforms; the experiment runs on the first, {first_platform} "
                "(edit experiment.platform)."
            )
        experiment_sections = tuple(s for s in ini.sections() if s == "experiment" or s.startswith("experiment."))
        docs.append(("experiment", default_name, imported.experiment, experiment_sections))
        plan.notes.extend(imported.notes)
    if not docs:
        raise ConfigError(
            f"{ini_path}: has no [platforms], [platform] or [experiment] section, so there is nothing to import.",
            "Give a Scalehub provisioning or experiment .ini file.",
        )

    plan.unmapped = ini.unmapped()
    stamp = date.today().isoformat()
    for kind, name, doc, sections in docs:
        path = conf_dir / FOLDERS[kind] / f"{name}.toml"
        _validate(kind, doc, ini_path, name)
        own = [u for u in plan.unmapped if any(u.section == s or u.section.startswith(s + ".") for s in sections)]
        text = _header(plan.source, stamp, own) + tomli_w.dumps(doc)
        _validate(kind, tomllib.loads(text), ini_path, name)
        plan.files.append(PlannedFile(kind, name, path, text, sections))
    return plan


def write_plan(plan: ImportPlan, force: bool = False) -> list[Path]:
    """All files or none: an existing file stops the import unless `force`."""
    existing = plan.existing()
    if existing and not force:
        shown = ", ".join(str(p) for p in existing)
        raise ConfigError(
            f"{shown} already exist{'s' if len(existing) == 1 else ''}; nothing was written.",
            "Pass --force to overwrite, or --conf-dir to import elsewhere.",
        )
    for planned in plan.files:
        atomic_write(planned.path, planned.text)
        plan.written.append(planned.path)
    return plan.written


def import_scalehub(ini_path: Path | str, conf_dir: Path | str = "conf", force: bool = False) -> ImportPlan:
    """Plan, validate and write; the returned plan lists the written files, unmapped keys and notes."""
    plan = plan_import(ini_path, conf_dir)
    write_plan(plan, force=force)
    return plan


def _validate(kind: Kind, doc: dict[str, Any], ini_path: Path, name: str) -> None:
    try:
        MODELS[kind].model_validate(doc)
    except ValidationError as e:
        inner = from_validation(f"{FOLDERS[kind]}/{name}.toml", e)
        raise ConfigError(
            f"{ini_path}: the imported {kind} {name!r} would be invalid ({inner.message.rstrip('.')}).",
            "Fix the INI key behind it and import again.",
        ) from None


def _header(source: Path, stamp: str, unmapped: list[UnmappedKey]) -> str:
    lines = [f"# Imported from {source} by `scaletui import-scalehub` on {stamp}."]
    if unmapped:
        lines.append("# INI keys behind this file that were not carried over (finish by hand if needed):")
        lines.extend(f"#   {u}: {u.reason}" for u in unmapped)
    return "\n".join(lines) + "\n\n"
