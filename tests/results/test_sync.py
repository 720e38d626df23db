"""sync: command construction, the local-path mode, clear errors, and real transfers through a loopback sshd.

The sshd tests start OpenSSH's own server on 127.0.0.1 with throw-away keys; they are skipped where the openssh-server
package is not installed or the user is not root (scripts/setup-system installs it as root, as in CI), and fail when an
installed server does not start.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaletui.errors import ConfigError, PlatformError
from scaletui.events import Event, EventBus, Progress
from scaletui.results.sync import SshOptions, SyncSource, copy_command, probe_command, sync_results

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_parse_sources() -> None:
    assert SyncSource.parse("me@fnancy.grid5000.fr:results/s1") == SyncSource("results/s1", "fnancy.grid5000.fr", "me")
    assert SyncSource.parse("node-1:/tmp/r").login == "node-1"
    assert SyncSource.parse("./results/s1").host is None
    assert SyncSource.parse("/abs/with:colon").host is None
    with pytest.raises(ConfigError, match="no path"):
        SyncSource.parse("host:")


def test_command_construction() -> None:
    source = SyncSource.parse("me@front:results/s1/")
    ssh = SshOptions(port=2222, identity="/keys/id", connect_timeout_s=5, extra=("-J", "access.grid5000.fr"))
    base = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=5"]
    assert probe_command(source, ssh) == [
        "ssh",
        *base,
        "-p",
        "2222",
        "-i",
        "/keys/id",
        "-J",
        "access.grid5000.fr",
        "me@front",
        "test -e results/s1/",
    ]
    assert copy_command(source, Path("/data"), ssh, "rsync") == [
        "rsync",
        "-a",
        "--partial",
        "-e",
        "ssh -o BatchMode=yes -o ConnectTimeout=5 -p 2222 -i /keys/id -J access.grid5000.fr",
        "me@front:results/s1",
        "/data/",
    ]
    assert copy_command(source, Path("/data"), ssh, "scp") == [
        "scp",
        "-r",
        "-p",
        *base,
        "-P",
        "2222",
        "-i",
        "/keys/id",
        "-J",
        "access.grid5000.fr",
        "me@front:results/s1",
        "/data/",
    ]
    assert probe_command(SyncSource.parse("h:it's here"), SshOptions())[-1] == "test -e 'it'\"'\"'s here'"


def test_local_path_mode_copies_and_updates(run_dir: Path, tmp_path: Path) -> None:
    copy = sync_results(str(run_dir.parent), tmp_path / "dest")
    assert copy == tmp_path / "dest" / run_dir.parent.name
    assert (copy / run_dir.name / "metrics.csv").read_bytes() == (run_dir / "metrics.csv").read_bytes()
    source = shutil.copytree(run_dir, tmp_path / "src" / run_dir.name)
    sync_results(str(source), tmp_path / "dest2")
    (source / "note.txt").write_text("added later")
    sync_results(str(source), tmp_path / "dest2")
    assert (tmp_path / "dest2" / run_dir.name / "note.txt").read_text() == "added later"
    with pytest.raises(ConfigError, match="does not exist"):
        sync_results(str(tmp_path / "missing"), tmp_path / "dest3")


def test_missing_ssh_is_one_sentence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PlatformError, match="ssh is not installed") as info:
        sync_results("front:results", tmp_path / "dest")
    assert "openssh-client" in info.value.hint


@pytest.mark.skipif(shutil.which("ssh") is None, reason="no ssh client")
def test_unreachable_host_is_one_sentence(tmp_path: Path) -> None:
    ssh = SshOptions(port=free_port(), connect_timeout_s=3, extra=("-F", "/dev/null"))
    with pytest.raises(PlatformError, match=r"Could not reach 127\.0\.0\.1 over SSH: .*refused"):
        sync_results("127.0.0.1:results", tmp_path / "dest", ssh=ssh)


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshOptions]:
    """A real OpenSSH server on a free loopback port accepting one throw-away key for the current user."""
    if not Path(SSHD).is_file() or shutil.which("ssh-keygen") is None or os.geteuid() != 0:
        pytest.skip("openssh-server not installed or not root")
    tmp = tmp_path_factory.mktemp("sshd")
    for name in ("host", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp / name)], check=True)
    shutil.copy(tmp / "client.pub", tmp / "authorized_keys")
    port = free_port()
    (tmp / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {tmp / 'host'}\nAuthorizedKeysFile {tmp / 'authorized_keys'}\n"
        f"PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
        f"StrictModes no\nUsePAM no\nSubsystem sftp internal-sftp\nPidFile {tmp / 'sshd.pid'}\n"
    )
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
    server = subprocess.Popen([SSHD, "-D", "-e", "-f", str(tmp / "sshd_config")], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and server.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    if server.poll() is not None:
        pytest.fail(f"sshd did not start: {server.stderr.read().decode() if server.stderr else ''}")
    yield SshOptions(
        port=port,
        identity=str(tmp / "client"),
        connect_timeout_s=5,
        extra=("-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o", f"UserKnownHostsFile={tmp / 'known_hosts'}"),
    )
    server.terminate()
    server.wait(timeout=10)


@pytest.mark.parametrize("transport", ["rsync", "scp"])
def test_fetch_over_real_ssh(sshd: SshOptions, run_dir: Path, tmp_path: Path, transport: str) -> None:
    if shutil.which(transport) is None:
        pytest.skip(f"{transport} not installed")
    remote = shutil.copytree(run_dir, tmp_path / "remote" / run_dir.name)
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append, Progress)
    source = f"{getpass.getuser()}@127.0.0.1:{remote}"
    copy = sync_results(source, tmp_path / "local", ssh=sshd, transport=transport, bus=bus)  # type: ignore[arg-type]
    assert copy == tmp_path / "local" / run_dir.name
    assert (copy / "metrics.csv").read_bytes() == (run_dir / "metrics.csv").read_bytes()
    assert (copy / "plots" / "latency.png").is_file()
    assert isinstance(seen[-1], Progress) and seen[-1].done
    (remote / "metrics.csv").write_text("changed\n")
    sync_results(source, tmp_path / "local", ssh=sshd, transport=transport)  # type: ignore[arg-type]
    assert (copy / "metrics.csv").read_text() == "changed\n"


def test_missing_remote_path(sshd: SshOptions, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        sync_results(f"{getpass.getuser()}@127.0.0.1:{tmp_path / 'nothing'}", tmp_path / "local", ssh=sshd)


def test_cancel_stops_a_transfer_and_says_so() -> None:
    """A transfer that would run 30 s stops at once when the cancel event is set (the TUI's key, Ctrl-C)."""
    import threading

    from scaletui.results.sync import _run

    cancel = threading.Event()
    cancel.set()
    began = time.monotonic()
    with pytest.raises(PlatformError, match="cancelled"):
        _run(["sleep", "30"], cancel)
    assert time.monotonic() - began < 10
