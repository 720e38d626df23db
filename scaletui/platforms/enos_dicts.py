"""Turn a platform TOML into the dictionary each EnosLib provider's `Configuration.from_dictionary` takes.

Pure functions, no EnosLib import: the dictionary goes with a `KeyMap` telling, for any path inside it, which TOML
key it came from, so an EnosLib/jsonschema complaint can name the key the user wrote. Settings keys a provider does
not know are refused here, because some EnosLib schemas (Chameleon's) accept any top-level key.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scaletui.config.models import PlatformFile
from scaletui.config.units import parse_duration
from scaletui.errors import ConfigError
from scaletui.platforms.base import ROLE_KEYS

KeyPath = tuple[str | int, ...]


@dataclass
class ProviderDict:
    """The EnosLib dictionary and, for paths inside it, the TOML key each came from (longest prefix wins)."""

    data: dict[str, Any]
    keys: dict[KeyPath, str] = field(default_factory=dict)

    def toml_key(self, path: KeyPath) -> str:
        for cut in range(len(path), -1, -1):
            if tuple(path[:cut]) in self.keys:
                return self.keys[tuple(path[:cut])]
        return "settings"


def walltime_hms(value: Any, minutes_only: bool = False) -> Any:
    """ "2h", 7200 or "02:00:00" -> "02:00:00" ("HH:MM" for IoT-LAB); anything else passes for EnosLib to refuse."""
    if isinstance(value, str) and ":" in value:
        return value
    try:
        seconds = int(parse_duration(value))
    except ValueError:
        return value
    hours, rest = divmod(seconds, 3600)
    if minutes_only:
        return f"{hours:02d}:{math.ceil(rest / 60):02d}"
    return f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


def date_text(value: Any) -> Any:
    """A TOML datetime becomes EnosLib's "YYYY-mm-dd HH:MM:SS"; strings pass for EnosLib to check."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


def _refuse_unknown(pf: PlatformFile, known: set[str], source: str) -> None:
    for key in pf.settings:
        if key not in known:
            raise ConfigError(
                f"{source}: key settings.{key} is not a known key for a {pf.platform.type} platform "
                f"(known: {', '.join(sorted(known))}).",
                "Check its spelling, or remove it.",
            )


def _require(pf: PlatformFile, key: str, source: str, what: str) -> Any:
    if key not in pf.settings:
        raise ConfigError(f"{source}: key settings.{key} is missing and required ({what}).")
    return pf.settings[key]


def _passthrough(
    pf: PlatformFile, out: ProviderDict, names: tuple[str, ...], rename: dict[str, str] | None = None
) -> None:
    for name in names:
        if name in pf.settings:
            target = (rename or {}).get(name, name)
            out.data[target] = pf.settings[name]
            out.keys[(target,)] = f"settings.{name}"


def _roles_in_use(pf: PlatformFile) -> list[tuple[str, int]]:
    counts = pf.roles.model_dump()
    used = [(role, counts[role]) for role in ROLE_KEYS if counts[role] > 0]
    if not used:
        raise ConfigError(f"platform {pf.platform.name}: key roles asks for no machine at all.", "Set control = 1.")
    return used


def _job_common(pf: PlatformFile, out: ProviderDict, walltime_minutes: bool = False) -> None:
    out.data["job_name"] = pf.settings.get("job_name", f"scaletui-{pf.platform.name}")
    out.keys[("job_name",)] = "settings.job_name"
    if "walltime" in pf.settings:
        out.data["walltime"] = walltime_hms(pf.settings["walltime"], minutes_only=walltime_minutes)
        out.keys[("walltime",)] = "settings.walltime"


G5K_KEYS = {
    "site",
    "cluster",
    "walltime",
    "queue",
    "job_name",
    "reservation",
    "project",
    "job_type",
    "env_name",
    "env_version",
    "key",
    "force_deploy",
    "dhcp",
    "monitor",
    "networks",
    "clusters",
    "vms_per_node",
    "on_setup_failure",
}


def g5k_dict(pf: PlatformFile, source: str) -> ProviderDict:
    """Grid5000 bare metal; `VagrantG5k` reserves the hosts that will carry its VMs (Scalehub's mapping)."""
    _refuse_unknown(pf, G5K_KEYS if pf.platform.type == "VagrantG5k" else G5K_KEYS - {"vms_per_node"}, source)
    site = _require(pf, "site", source, "the Grid5000 site, e.g. rennes")
    cluster = _require(pf, "cluster", source, "the Grid5000 cluster, e.g. paravance")
    out = ProviderDict({})
    _job_common(pf, out)
    _passthrough(
        pf, out, ("queue", "project", "job_type", "env_name", "env_version", "key", "force_deploy", "dhcp", "monitor")
    )
    if "reservation" in pf.settings:
        out.data["reservation"] = date_text(pf.settings["reservation"])
        out.keys[("reservation",)] = "settings.reservation"
    networks = pf.settings.get("networks", [{"id": "default", "type": "prod", "roles": ["my_network"]}])
    out.data["resources"] = {"machines": [], "networks": []}
    out.keys[("resources", "networks")] = "settings.networks"
    for i, net in enumerate(networks if isinstance(networks, list) else [networks]):
        entry = {"site": site, **net} if isinstance(net, dict) else net
        out.data["resources"]["networks"].append(entry)
        out.keys[("resources", "networks", i)] = f"settings.networks[{i}]"
        if isinstance(net, dict):
            for k in entry:
                out.keys[("resources", "networks", i, k)] = f"settings.networks[{i}].{k}"
    first_net = (
        networks[0].get("id", "default")
        if isinstance(networks, list) and networks and isinstance(networks[0], dict)
        else "default"
    )
    per_role_cluster = pf.settings.get("clusters", {})
    vms_per_node = pf.settings.get("vms_per_node", 1) if pf.platform.type == "VagrantG5k" else 1
    for role, count in _roles_in_use(pf):
        i = len(out.data["resources"]["machines"])
        nodes = math.ceil(count / vms_per_node) if isinstance(vms_per_node, int) and vms_per_node > 0 else count
        flavour = "vagrant" if pf.platform.type == "VagrantG5k" else "baremetal"
        out.data["resources"]["machines"].append(
            {
                "roles": [role, pf.platform.name, flavour],
                "cluster": per_role_cluster.get(role, cluster) if isinstance(per_role_cluster, dict) else cluster,
                "nodes": nodes,
                "primary_network": first_net,
            }
        )
        out.keys[("resources", "machines", i)] = f"roles.{role}"
        out.keys[("resources", "machines", i, "cluster")] = (
            f"settings.clusters.{role}"
            if isinstance(per_role_cluster, dict) and role in per_role_cluster
            else "settings.cluster"
        )
        out.keys[("resources", "machines", i, "nodes")] = f"roles.{role}"
        out.keys[("resources", "machines", i, "primary_network")] = "settings.networks[0].id"
    return out


VMONG5K_KEYS = {
    "cluster",
    "walltime",
    "queue",
    "job_name",
    "reservation",
    "project",
    "job_type",
    "flavour",
    "flavour_desc",
    "vcore_type",
    "image",
    "strategy",
    "subnet_type",
    "working_dir",
    "domain_type",
    "force_deploy",
    "enable_taktuk",
    "skip",
    "site",
}


def vmong5k_dict(pf: PlatformFile, source: str) -> ProviderDict:
    """Virtual machines on Grid5000 nodes: role counts are VM counts, sized by `flavour` or `flavour_desc`."""
    _refuse_unknown(pf, VMONG5K_KEYS, source)
    cluster = _require(pf, "cluster", source, "the Grid5000 cluster hosting the VMs")
    out = ProviderDict({})
    _job_common(pf, out)
    _passthrough(
        pf,
        out,
        (
            "queue",
            "project",
            "job_type",
            "image",
            "strategy",
            "subnet_type",
            "working_dir",
            "domain_type",
            "force_deploy",
            "enable_taktuk",
            "skip",
        ),
    )
    if "reservation" in pf.settings:
        out.data["reservation"] = date_text(pf.settings["reservation"])
        out.keys[("reservation",)] = "settings.reservation"
    out.data["resources"] = {"machines": [], "networks": ["my_network"]}
    for role, count in _roles_in_use(pf):
        i = len(out.data["resources"]["machines"])
        machine: dict[str, Any] = {
            "roles": [role, pf.platform.name, "virtualmachine"],
            "cluster": cluster,
            "number": count,
        }
        for size in ("flavour", "flavour_desc", "vcore_type"):
            if size in pf.settings:
                machine[size] = pf.settings[size]
                out.keys[("resources", "machines", i, size)] = f"settings.{size}"
        out.data["resources"]["machines"].append(machine)
        out.keys[("resources", "machines", i)] = f"roles.{role}"
        out.keys[("resources", "machines", i, "cluster")] = "settings.cluster"
        out.keys[("resources", "machines", i, "number")] = f"roles.{role}"
    return out


CHAMELEON_KEYS = {
    "key_name",
    "image",
    "user",
    "lease_name",
    "walltime",
    "flavour",
    "networks",
    "prefix",
    "configure_network",
    "gateway",
    "rc_file",
}


def chameleon_dict(pf: PlatformFile, source: str) -> ProviderDict:
    """Chameleon bare metal (OpenStack + Blazar lease); credentials come from the OpenStack rc file / OS_* env."""
    _refuse_unknown(pf, CHAMELEON_KEYS, source)
    out = ProviderDict({})
    _require(pf, "key_name", source, "the name of your SSH key pair on Chameleon")
    _passthrough(pf, out, ("key_name", "image", "user", "prefix", "configure_network", "gateway", "rc_file"))
    out.data["lease_name"] = pf.settings.get("lease_name", f"scaletui-{pf.platform.name}")
    out.keys[("lease_name",)] = "settings.lease_name"
    if "walltime" in pf.settings:
        out.data["walltime"] = walltime_hms(pf.settings["walltime"])
        out.keys[("walltime",)] = "settings.walltime"
    out.data["resources"] = {"machines": [], "networks": pf.settings.get("networks", ["network_interface"])}
    out.keys[("resources", "networks")] = "settings.networks"
    flavour = pf.settings.get("flavour", "compute_skylake")
    for role, count in _roles_in_use(pf):
        i = len(out.data["resources"]["machines"])
        out.data["resources"]["machines"].append(
            {"roles": [role, pf.platform.name], "flavour": flavour, "number": count}
        )
        out.keys[("resources", "machines", i)] = f"roles.{role}"
        out.keys[("resources", "machines", i, "flavour")] = "settings.flavour"
        out.keys[("resources", "machines", i, "number")] = f"roles.{role}"
    return out


IOTLAB_KEYS = {"site", "archi", "walltime", "job_name", "reservation", "image", "profile"}


def iotlab_dict(pf: PlatformFile, source: str) -> ProviderDict:
    """FIT IoT-LAB boards chosen by architecture (e.g. a8:at86rf231 Linux nodes) on one site."""
    _refuse_unknown(pf, IOTLAB_KEYS, source)
    site = _require(pf, "site", source, "the IoT-LAB site, e.g. grenoble")
    archi = _require(pf, "archi", source, "the board architecture, e.g. a8:at86rf231")
    out = ProviderDict({})
    _job_common(pf, out, walltime_minutes=True)
    if "reservation" in pf.settings:
        out.data["start_time"] = date_text(pf.settings["reservation"])
        out.keys[("start_time",)] = "settings.reservation"
    out.data["resources"] = {
        "machines": [],
        "networks": [{"id": "default", "type": "prod", "roles": ["my_network"], "site": site}],
    }
    out.keys[("resources", "networks")] = "settings.site"
    for role, count in _roles_in_use(pf):
        i = len(out.data["resources"]["machines"])
        machine: dict[str, Any] = {"roles": [role, pf.platform.name], "archi": archi, "site": site, "number": count}
        for extra in ("image", "profile"):
            if extra in pf.settings:
                machine[extra] = pf.settings[extra]
                out.keys[("resources", "machines", i, extra)] = f"settings.{extra}"
        out.data["resources"]["machines"].append(machine)
        out.keys[("resources", "machines", i)] = f"roles.{role}"
        out.keys[("resources", "machines", i, "archi")] = "settings.archi"
        out.keys[("resources", "machines", i, "site")] = "settings.site"
        out.keys[("resources", "machines", i, "number")] = f"roles.{role}"
    return out


STATIC_KEYS = {"hosts", "networks", "user", "keyfile", "port"}
STATIC_HOST_KEYS = {"address", "alias", "user", "keyfile", "port", "role", "extra"}


def _static_host_role(host: object, i: int, source: str) -> str:
    """settings.hosts[i] checked (a table of known keys, a known role); its explicit role, or "" when it has none."""
    if not isinstance(host, dict):
        raise ConfigError(f"{source}: key settings.hosts[{i}] expected a table, got {host!r}.")
    for key in host:
        if key not in STATIC_HOST_KEYS:
            raise ConfigError(
                f"{source}: key settings.hosts[{i}].{key} is not a known key "
                f"(known: {', '.join(sorted(STATIC_HOST_KEYS))})."
            )
    role = host.get("role") or ""
    if role and role not in ROLE_KEYS:
        raise ConfigError(
            f"{source}: key settings.hosts[{i}].role expected one of {', '.join(ROLE_KEYS)}, got {role!r}."
        )
    return str(role)


def static_dict(pf: PlatformFile, source: str) -> ProviderDict:
    """Hosts the user already has, reached over SSH. A host's `role` wins and counts against `[roles]`; the others
    take what `[roles]` still asks for, in order (then workers)."""
    _refuse_unknown(pf, STATIC_KEYS, source)
    hosts = _require(pf, "hosts", source, "a list of tables with at least address")
    if not isinstance(hosts, list) or not hosts:
        raise ConfigError(f"{source}: key settings.hosts expected a non-empty list of tables, got {hosts!r}.")
    explicit = [_static_host_role(host, i, source) for i, host in enumerate(hosts)]
    wanted = pf.roles.model_dump()
    for role in explicit:
        if role and wanted[role] > 0:
            wanted[role] -= 1
    pending = [role for role, count in wanted.items() for _ in range(count)]
    out = ProviderDict({"resources": {"machines": [], "networks": []}})
    for i, host in enumerate(hosts):
        role = explicit[i] or (pending.pop(0) if pending else "workers")
        machine = {k: v for k, v in host.items() if k != "role"}
        for default in ("user", "keyfile", "port"):
            if default in pf.settings and default not in machine:
                machine[default] = pf.settings[default]
                out.keys[("resources", "machines", i, default)] = f"settings.{default}"
        if "keyfile" in machine and isinstance(machine["keyfile"], str):
            machine["keyfile"] = str(Path(machine["keyfile"]).expanduser())
        machine["roles"] = [role, pf.platform.name]
        out.data["resources"]["machines"].append(machine)
        out.keys[("resources", "machines", i)] = f"settings.hosts[{i}]"
        for k in host:
            out.keys[("resources", "machines", i, k)] = f"settings.hosts[{i}].{k}"
    nets = pf.settings.get("networks", [])
    out.data["resources"]["networks"] = nets
    out.keys[("resources", "networks")] = "settings.networks"
    if isinstance(nets, list):
        for i in range(len(nets)):
            out.keys[("resources", "networks", i)] = f"settings.networks[{i}]"
    return out


DictBuilder = Callable[[PlatformFile, str], ProviderDict]

DICT_BUILDERS: dict[str, DictBuilder] = {
    "Grid5000": g5k_dict,
    "VagrantG5k": g5k_dict,
    "VMonG5k": vmong5k_dict,
    "Chameleon": chameleon_dict,
    "FIT": iotlab_dict,
    "Static": static_dict,
}
