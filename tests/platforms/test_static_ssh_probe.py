"""The Static platform's SSH check probes only the hosts Ansible reaches over SSH, and its progress line says which
hosts it leaves out. Port 1 on loopback refuses at once, so any probe made is seen to fail."""

from __future__ import annotations

import pytest

from scaletui.errors import PlatformError
from scaletui.platforms.base import Inventory, InventoryHost
from scaletui.platforms.enos import check_ssh, ssh_check_line


def host(name: str, **vars_: str | int) -> InventoryHost:
    return InventoryHost(name, "127.0.0.1", "root", "worker", "lab", vars={"ansible_port": 1, **vars_})


def test_hosts_not_reached_over_ssh_are_not_probed() -> None:
    inventory = Inventory("lab", (host("here", ansible_connection="local"), host("box", ansible_connection="docker")))
    check_ssh(inventory, timeout_s=5)
    assert ssh_check_line(inventory) == "no SSH to check; not over SSH, so not probed: here (local), box (docker)"


@pytest.mark.parametrize("connection", [None, "ssh", "smart", "paramiko"])
def test_hosts_reached_over_ssh_are_probed(connection: str | None) -> None:
    over_ssh = host("far", **({"ansible_connection": connection} if connection else {}))
    inventory = Inventory("lab", (host("here", ansible_connection="local"), over_ssh))
    with pytest.raises(PlatformError, match=r"SSH to root@127.0.0.1 failed"):
        check_ssh(inventory, timeout_s=5)
    assert ssh_check_line(inventory) == "checking SSH to far; not over SSH, so not probed: here (local)"


def test_every_host_over_ssh_keeps_the_plain_line() -> None:
    assert ssh_check_line(Inventory("lab", (host("a"), host("b")))) == "checking SSH to every host"
