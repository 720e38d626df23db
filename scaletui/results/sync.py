"""Fetch results from where a run happened (a testbed frontend or node) over SSH, Scalehub's `shub sync`.

rsync over ssh when rsync is installed here (incremental, resumable), else `scp -r`; the remote side is probed first
with `ssh -o BatchMode=yes` so an unreachable host or a wrong path is one clear sentence, not a transfer log.
A source without `host:` is a local path and is copied directly (the same layout, no SSH).
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from scaletui.errors import ConfigError, PlatformError
from scaletui.events import EventBus, Progress

Transport = Literal["rsync", "scp"]
SSH_HINT = "Check the host name, your SSH key (ssh-add, ~/.ssh/config) and the VPN or jump host."


@dataclass(frozen=True)
class SyncSource:
    """`[user@]host:path` (remote) or a local path (host is None)."""

    path: str
    host: str | None = None
    user: str | None = None

    @classmethod
    def parse(cls, text: str) -> SyncSource:
        head, sep, tail = text.partition(":")
        if not sep or "/" in head or not head:
            return cls(path=text)
        if not tail:
            raise ConfigError(f"{text!r} names a host but no path.", "Write it as [user@]host:path/to/results.")
        user, at, host = head.rpartition("@")
        return cls(path=tail, host=host, user=user if at else None)

    @property
    def login(self) -> str:
        return f"{self.user}@{self.host}" if self.user else str(self.host)


@dataclass(frozen=True)
class SshOptions:
    port: int | None = None
    identity: str | None = None
    connect_timeout_s: int = 10
    extra: tuple[str, ...] = ()
    """More ssh arguments, e.g. ("-o", "ProxyJump=access.grid5000.fr")."""

    def args(self, port_flag: str = "-p") -> list[str]:
        out = ["-o", "BatchMode=yes", "-o", f"ConnectTimeout={self.connect_timeout_s}"]
        if self.port is not None:
            out += [port_flag, str(self.port)]
        if self.identity:
            out += ["-i", str(Path(self.identity).expanduser())]
        return out + list(self.extra)


def probe_command(source: SyncSource, ssh: SshOptions) -> list[str]:
    return ["ssh", *ssh.args(), source.login, "test -e " + shlex.quote(source.path)]


def copy_command(source: SyncSource, dest: Path, ssh: SshOptions, transport: Transport) -> list[str]:
    """The transfer: the source directory lands as `dest/<its name>`, as rsync and scp -r both do."""
    remote = f"{source.login}:{source.path.rstrip('/') or '/'}"
    if transport == "rsync":
        return ["rsync", "-a", "--partial", "-e", shlex.join(["ssh", *ssh.args()]), remote, f"{dest}/"]
    return ["scp", "-r", "-p", *ssh.args(port_flag="-P"), remote, f"{dest}/"]


def _run(argv: list[str], cancel: threading.Event | None) -> subprocess.CompletedProcess[str]:
    """Run a transfer that Ctrl-C or the TUI's cancel can stop; output is captured for the error sentence."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    while True:
        try:
            out, err = proc.communicate(timeout=0.2)
            return subprocess.CompletedProcess(argv, proc.returncode, out, err)
        except subprocess.TimeoutExpired:
            if cancel is not None and cancel.is_set():
                proc.terminate()
                proc.communicate(timeout=10)
                raise PlatformError(
                    "The sync was cancelled; files already copied are kept.", "Run it again to fetch the rest."
                ) from None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def sync_local(source: Path, dest: Path) -> Path:
    if not source.exists():
        raise ConfigError(f"{source} does not exist.", "Give the results directory to copy, or host:path.")
    target = dest / source.resolve().name
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)
    return target


def sync_results(
    source: str,
    dest: Path | str = "results",
    *,
    ssh: SshOptions | None = None,
    transport: Transport | None = None,
    cancel: threading.Event | None = None,
    bus: EventBus | None = None,
) -> Path:
    """Copy `source` ([user@]host:path or a local path) into `dest`; returns the local copy's path."""
    spec = SyncSource.parse(source)
    dest_dir = Path(dest).expanduser()
    dest_dir.mkdir(parents=True, exist_ok=True)
    if spec.host is None:
        return sync_local(Path(spec.path).expanduser(), dest_dir)
    ssh = ssh or SshOptions()
    if shutil.which("ssh") is None:
        raise PlatformError(
            f"ssh is not installed, so results cannot be fetched from {spec.host}.",
            "Install the OpenSSH client (apt-get install openssh-client).",
        )
    if bus is not None:
        bus.publish(Progress(source="sync", step="sync", message=f"reaching {spec.login}"))
    probe = _run(probe_command(spec, ssh), cancel)
    if probe.returncode == 255:
        raise PlatformError(f"Could not reach {spec.login} over SSH: {_last_line(probe.stderr)}.", SSH_HINT)
    if probe.returncode != 0:
        raise ConfigError(f"{spec.host}:{spec.path} does not exist.", "Check the remote results path.")
    chosen: Transport = transport or ("rsync" if shutil.which("rsync") else "scp")
    if bus is not None:
        bus.publish(Progress(source="sync", step="sync", message=f"copying {source} with {chosen}"))
    done = _run(copy_command(spec, dest_dir, ssh, chosen), cancel)
    if done.returncode != 0 and chosen == "rsync" and "not found" in done.stderr and shutil.which("scp"):
        done = _run(copy_command(spec, dest_dir, ssh, "scp"), cancel)  # no rsync on the remote side
    if done.returncode != 0:
        raise PlatformError(f"Copying {source} failed: {_last_line(done.stderr)}.", SSH_HINT)
    target = dest_dir / Path(spec.path.rstrip("/")).name
    if bus is not None:
        bus.publish(Progress(source="sync", step="sync", message=f"fetched into {target}", fraction=1.0, done=True))
    return target
