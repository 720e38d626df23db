"""Scalehub platform sections -> conf/platforms/<name>.toml documents (scaletui.config.models.PlatformFile).

Scalehub's keys, read from its Config.py and conf/provision/*.ini (github.com/ark-sys/scalehub): `[platforms]
platforms = a b`, then per platform `type`, the role counts `control`, `producers`, `consumers`, and the EnosLib keys
`reservation_name`, `site`, `cluster`, `queue`, `walltime`, `start_time`, `core_per_vm`, `memory_per_vm`,
`disk_per_vm`, `archi`, `kubernetes_type`, `inventory`. Settings are named as EnosLib names them (`job_name`,
`reservation`, `flavour_desc`), so the platform builder can hand them to `<Provider>Conf.from_dictionary`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scaletui.errors import ConfigError
from scaletui.scalehub.ini import ScalehubIni, coerce, find_beside, is_secret, split_list, unquote

TYPE_MAP = {
    "grid5000": "Grid5000",
    "g5k": "Grid5000",
    "vmong5k": "VMonG5k",
    "vm_on_grid5000": "VMonG5k",
    "vagrantg5k": "VagrantG5k",
    "fit": "FIT",
    "iotlab": "FIT",
    "chameleon": "Chameleon",
    "raspberrypi": "Static",
    "static": "Static",
    "local": "local",
}
"""Scalehub type (lower case) -> scaletui platform type. RaspberryPi boards are existing hosts: Static."""

ROLE_KEYS = {
    "control": "control",
    "controllers": "control",
    "producers": "producers",
    "consumers": "consumers",
    "workers": "workers",
}

_G5K = {
    "site": "site",
    "cluster": "cluster",
    "queue": "queue",
    "walltime": "walltime",
    "reservation_name": "job_name",
    "job_name": "job_name",
    "project": "project",
    "env_name": "env_name",
    "job_type": "job_type",
}
_VM = {"core_per_vm": "core", "memory_per_vm": "mem", "disk_per_vm": "disk"}
SETTINGS_KEYS: dict[str, dict[str, str]] = {
    "Grid5000": _G5K,
    "VagrantG5k": _G5K,
    "VMonG5k": _G5K,
    "FIT": {
        "site": "site",
        "walltime": "walltime",
        "reservation_name": "job_name",
        "job_name": "job_name",
        "archi": "archi",
    },
    "Chameleon": {
        "walltime": "walltime",
        "reservation_name": "lease_name",
        "lease_name": "lease_name",
        "image": "image",
        "flavour": "flavour",
        "key_name": "key_name",
        "rc_file": "rc_file",
    },
    "Static": {"ssh_user": "user", "ssh_key_path": "keyfile"},
    "local": {},
}
"""INI key -> settings key, per scaletui type (the keys scaletui.platforms.enos_dicts accepts). Keys of a custom
(plugin) type are all carried over as they are."""

VM_TYPES = ("VMonG5k",)

SKIP_REASONS = {
    "kubernetes_type": "no per-platform setting: the orchestration stage chooses the Kubernetes distribution",
    "instance_count": "scaletui counts machines from the role counts",
    "inventory": "an Ansible inventory of existing hosts; list them under settings.hosts (address, user) instead",
    "core_per_vm": "VM sizes are not settings of this platform type in scaletui",
    "memory_per_vm": "VM sizes are not settings of this platform type in scaletui",
    "disk_per_vm": "VM sizes are not settings of this platform type in scaletui",
}

_WALLTIME = re.compile(r"(\d{1,3}):(\d{2})(?::(\d{2}))?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?")

SectionDoc = tuple[str, dict[str, Any]]


def safe_name(name: str) -> str:
    """A name usable as a file stem: letters, digits, `_`, `-`, `.`."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", name.strip()).strip("-.")
    return cleaned or "imported"


def normalise_walltime(text: str) -> str:
    """Scalehub writes `2:00:00`; EnosLib and OAR take `HH:MM:SS`."""
    match = _WALLTIME.fullmatch(text.strip())
    if not match:
        return text.strip()
    hours, minutes, seconds = match.group(1), match.group(2), match.group(3) or "00"
    return f"{int(hours):02d}:{minutes}:{seconds}"


def platform_names(ini: ScalehubIni) -> list[str]:
    """The platforms the INI declares, in order: `[platforms] platforms`, or the old single `[platform]`."""
    if ini.has("platforms", "platforms"):
        names = split_list(str(ini.raw("platforms", "platforms")))
        for name in names:
            if not ini.has(f"platforms.{name}"):
                raise ConfigError(
                    f"{ini.path}: key [platforms] platforms names {name!r} but there is no [platforms.{name}] section.",
                    "Add the section or remove the name from the list.",
                )
        return names
    if ini.has("platform"):
        return [""]
    return []


def section_of(name: str) -> str:
    return f"platforms.{name}" if name else "platform"


def build_platform(ini: ScalehubIni, name: str, default_name: str) -> SectionDoc:
    """One PlatformFile document (as a dict) from `[platforms.<name>]`, or from the old single `[platform]`."""
    section = section_of(name)
    if not ini.has(section, "type"):
        raise ConfigError(
            f"{ini.path}: key [{section}] type is missing and required.",
            "Set it to Grid5000, VMonG5k, VagrantG5k, FIT, Chameleon or RaspberryPi.",
        )
    raw_type = str(ini.value(section, "type"))
    ours = TYPE_MAP.get(raw_type.lower(), raw_type)
    roles: dict[str, int] = {}
    settings: dict[str, Any] = {}
    mapping = SETTINGS_KEYS.get(ours)
    for key in ini.keys(section):
        if key == "type":
            continue
        if key in ROLE_KEYS:
            roles[ROLE_KEYS[key]] = ini.integer(section, key)
        elif ours in VM_TYPES and key in _VM:
            settings.setdefault("flavour_desc", {})[_VM[key]] = ini.integer(section, key, minimum=1)
        elif key == "inventory" and ours == "Static":
            _inventory(ini, section, settings)
        elif key in SKIP_REASONS:
            ini.skip(section, key, SKIP_REASONS[key])
        elif key == "start_time":
            _start_time(ini, section, settings, ours)
        elif mapping is None:
            if not is_secret(key):
                settings[key] = ini.value(section, key)
        elif key in mapping and not is_secret(key):
            settings[mapping[key]] = _convert(key)(ini.raw(section, key))
        else:
            ini.skip(section, key, f"not a setting of a {ours} platform in scaletui")
    if "flavour_desc" in settings and not {"core", "mem"} <= settings["flavour_desc"].keys():
        ini.skip(section, "core_per_vm", "VM flavour needs both core_per_vm and memory_per_vm")
        ini.used.difference_update({(section, k) for k in _VM})
        del settings["flavour_desc"]
    platform_name = safe_name(name or default_name)
    doc: dict[str, Any] = {"platform": {"name": platform_name, "type": ours}}
    if roles:
        doc["roles"] = roles
    if settings:
        doc["settings"] = settings
    return platform_name, doc


def _convert(key: str) -> Callable[[str], Any]:
    if key == "walltime":
        return lambda text: normalise_walltime(unquote(text))
    if key in ("site", "cluster", "queue", "reservation_name", "job_name", "ssh_key_path", "archi", "rc_file"):
        return unquote
    return coerce


def _start_time(ini: ScalehubIni, section: str, settings: dict[str, Any], ours: str) -> None:
    """`now` is the default (no advance reservation); a full date becomes EnosLib's `reservation`."""
    text = str(ini.value(section, "start_time")).strip()
    if text.lower() == "now":
        return
    if _DATETIME.fullmatch(text) and ours in ("Grid5000", "VagrantG5k", "VMonG5k", "FIT"):
        settings["reservation"] = text.replace("T", " ") + (":00" if text.count(":") == 1 else "")
        return
    ini.used.discard((section, "start_time"))
    ini.skip(
        section,
        "start_time",
        f'{text!r} is a time of day without a date; set settings.reservation = "YYYY-MM-DD HH:MM:SS" by hand',
    )


def _inventory(ini: ScalehubIni, section: str, settings: dict[str, Any]) -> None:
    """Scalehub's RaspberryPi platform reads an Ansible YAML inventory; Static wants `hosts` (address, user)."""
    path_text = unquote(ini.raw(section, "inventory"))
    found = find_beside(ini.path.parent, path_text)
    hosts = inventory_hosts(found) if found else []
    if hosts:
        settings["hosts"] = hosts
        return
    ini.used.discard((section, "inventory"))
    where = "not found next to the INI" if found is None else "holds no hosts"
    ini.skip(section, "inventory", f"{path_text} {where}; list the machines under settings.hosts (address, user)")


def inventory_hosts(path: Path) -> list[dict[str, Any]]:
    """Hosts of an Ansible YAML/JSON inventory, with only address, alias, user and port (never passwords)."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    hosts: dict[str, dict[str, Any]] = {}

    def walk(group: Any, depth: int = 0) -> None:
        if not isinstance(group, dict) or depth > 16:
            return
        for name, variables in (group.get("hosts") or {}).items():
            variables = variables if isinstance(variables, dict) else {}
            host: dict[str, Any] = {"address": str(variables.get("ansible_host", name))}
            if host["address"] != str(name):
                host["alias"] = str(name)
            if "ansible_user" in variables:
                host["user"] = str(variables["ansible_user"])
            if isinstance(variables.get("ansible_port"), int):
                host["port"] = variables["ansible_port"]
            hosts.setdefault(str(name), host)
        for child in (group.get("children") or {}).values():
            walk(child, depth + 1)

    if isinstance(data, dict):
        for top in data.values():
            walk(top)
        walk(data)
    return list(hosts.values())


def unused_platform_sections(ini: ScalehubIni, names: list[str]) -> None:
    """Platform sections the list does not name (Scalehub ignores them too) are reported, not imported."""
    listed = {section_of(n) for n in names}
    for section in ini.sections():
        if not (section.startswith("platforms.") or section == "platform") or section in listed:
            continue
        owner = next((s for s in listed if section.startswith(s + ".")), None)
        reason = (
            f"EnosLib option table of {owner} is not imported; set it under that platform's [settings]"
            if owner
            else "platform section not listed in [platforms] platforms"
        )
        for key in ini.keys(section):
            ini.skip(section, key, reason)
