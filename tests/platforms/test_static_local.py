"""The Static platform for real (EnosLib's Static provider, then SSH to a real sshd on 127.0.0.1), the local
platform, the inventory file, and the registry with a custom platform from the `scaletui.platforms` entry point.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from scaletui.config.models import PlatformFile
from scaletui.errors import ConfigError, PlatformError
from scaletui.platforms.base import Inventory, InventoryHost, Platform
from scaletui.platforms.inventory import group_name, inventory_document
from scaletui.platforms.registry import ENTRY_POINT_GROUP, create_platform
from scaletui.session.store import SessionStore
from tests.platforms.conftest import platform_file
from tests.platforms.sshd import LoopbackSshd, start_sshd
from tests.recording import reservation_flow


@pytest.fixture
def sshd(tmp_path: Path) -> Iterator[LoopbackSshd]:
    server = start_sshd(tmp_path / "sshd")
    try:
        yield server
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)


def static_toml(sshd: LoopbackSshd, name: str = "lab") -> str:
    host = (
        f'{{ address = "127.0.0.1", port = {sshd.port}, role = "{{role}}", alias = "{{alias}}", '
        f'extra = {{ ansible_ssh_common_args = "{sshd.common_args}" }} }}'
    )
    return f"""
[platform]
name = "{name}"
type = "Static"

[roles]
control = 1
workers = 1

[settings]
user = "{sshd.user}"
keyfile = "{sshd.keyfile}"
hosts = [
  {host.replace("{role}", "control").replace("{alias}", "lab-control")},
  {host.replace("{role}", "workers").replace("{alias}", "lab-worker")},
]
"""


def test_static_platform_reserves_over_real_ssh(tmp_path: Path, sshd: LoopbackSshd) -> None:
    (tmp_path / "conf" / "platforms").mkdir(parents=True)
    (tmp_path / "conf" / "platforms" / "lab.toml").write_text(static_toml(sshd))
    flow = reservation_flow(SessionStore.open(tmp_path / "s"), tmp_path / "conf")
    reservation = flow.reserve("lab", threading.Event())
    assert reservation.state == "running"
    assert [(n.name, n.role) for n in reservation.nodes] == [("lab-control", "control"), ("lab-worker", "worker")]
    assert sshd.known_hosts.exists(), "ssh really connected (and recorded the host key)"

    groups = yaml.safe_load(Path(flow.store.session.inventory_file).read_text())["all"]["children"]
    control = groups["control"]["hosts"]["lab-control"]
    assert control["ansible_host"] == "127.0.0.1" and control["ansible_port"] == sshd.port
    assert control["ansible_user"] == "root" and control["ansible_ssh_private_key_file"] == str(sshd.keyfile)
    assert groups["agents"]["hosts"]["lab-worker"]["cluster_role"] == "worker"
    assert set(groups["lab"]["hosts"]) == {"lab-control", "lab-worker"}

    assert flow.release("lab", confirmed=True).state == "released"


def test_static_platform_with_a_refused_key_is_one_sentence(tmp_path: Path, sshd: LoopbackSshd) -> None:
    other = tmp_path / "other_key"
    import subprocess

    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    (tmp_path / "lab.toml").write_text(static_toml(sshd).replace(str(sshd.keyfile), str(other)))
    flow = reservation_flow(SessionStore.open(tmp_path / "s"))
    with pytest.raises(PlatformError, match=r"SSH to root@127.0.0.1 failed: .*Permission denied"):
        flow.reserve("lab", threading.Event(), conf_file=tmp_path / "lab.toml")
    assert flow.store.session.reservations[0].state == "failed"


def test_local_platform_inventory_uses_the_local_connection(tmp_path: Path) -> None:
    flow = reservation_flow(SessionStore.open(tmp_path / "s"))
    flow.add(create_platform(platform_file("local", {}, name="local")))
    reservation = flow.reserve("local", threading.Event())
    assert reservation.state == "running" and [n.address for n in reservation.nodes] == ["127.0.0.1"]
    host = yaml.safe_load(Path(flow.store.session.inventory_file).read_text())["all"]["children"]["control"]["hosts"]
    assert host["localhost"]["ansible_connection"] == "local"
    assert host["localhost"]["ansible_python_interpreter"] == sys.executable
    with pytest.raises(PlatformError):
        flow.extend("local", 60)


def test_several_platforms_share_one_inventory() -> None:
    a = Inventory(
        "g5k",
        (
            InventoryHost("n1", "10.0.0.1", "root", "control", "g5k"),
            InventoryHost("n2", "10.0.0.2", "root", "producer", "g5k"),
        ),
    )
    b = Inventory("fit-lab", (InventoryHost("n1", "10.1.0.1", "root", "consumer", "fit-lab"),))
    doc = inventory_document([a, b])["all"]["children"]
    assert set(doc["control"]["hosts"]) == {"n1"}
    assert set(doc["agents"]["hosts"]) == {"n2", "n1-fit_lab"}
    assert set(doc["fit_lab"]["hosts"]) == {"n1-fit_lab"} and set(doc["g5k"]["hosts"]) == {"n1", "n2"}
    assert group_name("control") == "control_platform" and group_name("9lives") == "p_9lives"


class _FakeCloud:
    """A custom platform as a plugin would ship it (only the protocol, no EnosLib)."""

    can_extend = False

    def __init__(self, pf: PlatformFile, source: str) -> None:
        self.name, self.type = pf.platform.name, pf.platform.type

    def reserve(self, cancel, progress=None):  # type: ignore[no-untyped-def]
        return Inventory(self.name)

    def status(self):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def extend(self, seconds):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def release(self) -> None:
        pass

    def attach(self, status) -> None:  # type: ignore[no-untyped-def]
        pass


def test_custom_platform_from_an_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = tmp_path / "cloudplug-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: cloudplug\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nFakeCloud = {__name__}:_FakeCloud\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    platform = create_platform(platform_file("FakeCloud", {}, name="mycloud"))
    assert isinstance(platform, Platform) and isinstance(platform, _FakeCloud)
    with pytest.raises(ConfigError, match=r"key platform.type expected one of .*FakeCloud.*got 'Nope'"):
        create_platform(platform_file("Nope", {}))


def test_two_platforms_in_one_session(tmp_path: Path, sshd: LoopbackSshd) -> None:
    (tmp_path / "conf" / "platforms").mkdir(parents=True)
    (tmp_path / "conf" / "platforms" / "lab.toml").write_text(static_toml(sshd))
    flow = reservation_flow(SessionStore.open(tmp_path / "s"), tmp_path / "conf")
    flow.add(create_platform(platform_file("local", {}, name="local")))
    flow.reserve("local", threading.Event())
    flow.reserve("lab", threading.Event())
    assert [r.platform for r in flow.store.session.reservations] == ["local", "lab"]
    groups = yaml.safe_load(Path(flow.store.session.inventory_file).read_text())["all"]["children"]
    assert set(groups["control"]["hosts"]) == {"localhost", "lab-control"}
    assert set(groups["local"]["hosts"]) == {"localhost"} and set(groups["lab"]["hosts"]) == {
        "lab-control",
        "lab-worker",
    }
    flow.release("lab", confirmed=True)
    groups = yaml.safe_load(Path(flow.store.session.inventory_file).read_text())["all"]["children"]
    assert set(groups["control"]["hosts"]) == {"localhost"} and "lab" not in groups
