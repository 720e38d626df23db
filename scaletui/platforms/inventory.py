"""Write the Ansible inventory of a session: groups `control` and `agents`, plus one group per platform.

Every host carries `ansible_host`, `ansible_user`, `cluster_role` and `platform_name` (Scalehub's contract), so
the playbooks and the stages runner read roles from the inventory and never from scaletui's own files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from scaletui.atomic_file import atomic_write
from scaletui.platforms.base import Inventory

INVENTORY_FILE = "inventory.yaml"
RESERVED_GROUPS = {"all", "ungrouped", "control", "agents"}


def group_name(platform_name: str) -> str:
    """An Ansible-safe group name for a platform (letters, digits, underscores; never a reserved group)."""
    name = re.sub(r"\W", "_", platform_name) or "platform"
    if name[0].isdigit():
        name = f"p_{name}"
    return f"{name}_platform" if name in RESERVED_GROUPS else name


def inventory_document(inventories: Iterable[Inventory]) -> dict[str, Any]:
    control: dict[str, Any] = {}
    agents: dict[str, Any] = {}
    platforms: dict[str, Any] = {}
    seen: set[str] = set()
    for inventory in inventories:
        members: dict[str, None] = {}
        for host in inventory.hosts:
            name = host.name if host.name not in seen else f"{host.name}-{group_name(inventory.platform_name)}"
            seen.add(name)
            (control if host.cluster_role == "control" else agents)[name] = host.hostvars()
            members[name] = None
        platforms[group_name(inventory.platform_name)] = {"hosts": members}
    return {"all": {"children": {"control": {"hosts": control}, "agents": {"hosts": agents}, **platforms}}}


def write_inventory(directory: Path, inventories: Iterable[Inventory]) -> Path:
    """Write `<directory>/inventory.yaml` atomically and return its path."""
    path = Path(directory) / INVENTORY_FILE
    text = "# Written by scaletui from the session's reservations; regenerated on every reservation change.\n"
    text += yaml.safe_dump(inventory_document(inventories), sort_keys=False, default_flow_style=False)
    atomic_write(path, text)
    return path
