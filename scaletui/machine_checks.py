"""What the platforms need on this machine, checked quickly: one finding per need, with the fix when it is missing.

Required findings are what the default local platform cannot run without (Python, Java, javac, ansible, a free
loopback port, room for Flink); optional ones belong to a feature (network faults, Kubernetes, Grid5000) and only
matter when it is used. Every check is bounded by a short subprocess timeout (the leftover check also reads /proc,
which a process stuck in the kernel could hold up); checks run in parallel threads.
Secrets are never read into a finding: the Grid5000 credentials file is checked for presence, permissions and shape.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MIN_PYTHON = (3, 11)
MIN_JAVA = 11
ANSIBLE_CORE = "2.17"
FLINK_FREE_BYTES = 1 << 30
FLINK_PORTS = {8081: "Flink REST/web UI", 6123: "Flink JobManager RPC"}
CAP_NET_ADMIN = 12
SBIN_DIRS = ("/usr/sbin", "/sbin")
LEFTOVER_TABLES = ("mangle", "filter")
"""Where faults' iptables rules are looked for, every chain: scaletui/chaos/netfilter.py writes only to mangle
(OUTPUT: NFQUEUE for delay, DROP for loss and partitions); filter costs one more command and catches a tagged rule
put there by hand."""
ALL_CLEAR = (
    "no fault leftovers in this host's network namespace (tagged iptables rules, scaletui's shaping qdisc, marked "
    "processes); not looked for: a paused target (a stopped process that carries no mark: `ps -eo pid,stat,cmd | "
    "awk '$2 ~ /^T/'`) and faults inside containers' namespaces"
)
JDK_FIX = "Install a JDK 11 or newer: apt-get install -y openjdk-17-jdk-headless (or set JAVA_HOME to one)."


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = True
    """False: only the feature named in `needed_for` is affected."""
    needed_for: str = "local platform"
    leftover: bool = False
    """True: not something missing but a fault's change still on the host (a rule, a qdisc, a process)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DoctorContext:
    """Where the checks look: an environment (PATH, HOME, KUBECONFIG, ...) and the cache directory."""

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    cache_dir: Path = Path("~/.cache/scaletui")
    venv_bin: Path = Path(sys.executable).parent
    timeout: float = 2.0

    @property
    def home(self) -> Path:
        return Path(self.env.get("HOME") or Path.home())

    def which(self, name: str) -> Path | None:
        found = shutil.which(name, path=self.env.get("PATH", ""))
        return Path(found) if found else None

    def run(self, argv: list[str]) -> subprocess.CompletedProcess[str] | None:
        """The command's result, or None if it could not start or outlived the timeout."""
        try:
            return subprocess.run(
                argv, capture_output=True, text=True, timeout=self.timeout, env=dict(self.env), stdin=subprocess.DEVNULL
            )
        except (OSError, subprocess.TimeoutExpired):
            return None

    @classmethod
    def from_app_config(cls, config_file: str | None = None) -> DoctorContext:
        """The cache directory of conf/scaletui.toml (or SCALETUI_HOME), the current environment."""
        from scaletui.config.loader import load_app_config

        return cls(cache_dir=Path(load_app_config(config_file).paths.cache).expanduser())


Check = Callable[[DoctorContext], list[Finding]]


def check_python(ctx: DoctorContext) -> list[Finding]:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info[:2] >= MIN_PYTHON
    fix = "" if ok else "Run scaletui with Python 3.11 (the README's install command sets up its venv)."
    return [Finding("python", ok, f"Python {version} at {sys.executable}", fix)]


def _java(ctx: DoctorContext, tool: str) -> Path | None:
    java_home = ctx.env.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / tool
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return ctx.which(tool)


def check_java(ctx: DoctorContext) -> list[Finding]:
    java = _java(ctx, "java")
    if java is None:
        return [Finding("java", False, "no java in JAVA_HOME or on PATH; Flink needs Java 11 or newer", JDK_FIX)]
    result = ctx.run([str(java), "-version"])
    if result is None:
        return [Finding("java", False, f"{java} -version did not answer within {ctx.timeout:g} s", JDK_FIX)]
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if not match:
        return [Finding("java", False, f"{java} -version printed no version", JDK_FIX)]
    major = int(match.group(1))
    major = int(match.group(2) or 0) if major == 1 else major
    ok = major >= MIN_JAVA
    return [Finding("java", ok, f"Java {major} at {java}", "" if ok else JDK_FIX)]


def check_javac(ctx: DoctorContext) -> list[Finding]:
    javac = _java(ctx, "javac")
    if javac is None:
        detail = "no javac in JAVA_HOME or on PATH; the workload job is compiled at first use (a JRE is not enough)"
        return [Finding("javac", False, detail, JDK_FIX)]
    return [Finding("javac", True, f"javac at {javac}")]


def _flink_home(ctx: DoctorContext) -> tuple[Path | None, str]:
    from scaletui.errors import PlatformError
    from scaletui.flink.install import FLINK_VERSION, check_home

    override = ctx.env.get("FLINK_HOME")
    path = Path(override) if override else ctx.cache_dir.expanduser() / "flink" / FLINK_VERSION
    origin = "FLINK_HOME" if override else "The cached Flink at"
    if not override and not path.exists():
        return None, f"Flink {FLINK_VERSION} is not in {ctx.cache_dir} yet"
    try:
        version = check_home(path, origin)
    except PlatformError as e:
        return None, e.message
    return path, f"Flink {version} at {path}" + (" (FLINK_HOME)" if override else "")


def check_flink(ctx: DoctorContext) -> list[Finding]:
    home, detail = _flink_home(ctx)
    override = bool(ctx.env.get("FLINK_HOME"))
    if home:
        fix = ""
    elif override:
        fix = "Point FLINK_HOME at an unpacked Flink 2.x, or unset it to use the cached download."
    else:
        fix = "Nothing to do: Flink is unpacked (~330 MB) at the first local run; or set FLINK_HOME to Flink 2.x."
    flink = Finding("flink", home is not None, detail, fix, required=override)
    existing = ctx.cache_dir.expanduser()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    enough = free > FLINK_FREE_BYTES
    disk_detail = f"{free / 2**30:.1f} GiB free in {existing}"
    disk = Finding(
        "disk space",
        enough or home is not None,
        disk_detail + ("" if enough else " (Flink needs about 1 GiB)"),
        "" if enough else "Free space there, or set SCALETUI_HOME to a roomier disk, or set FLINK_HOME.",
        required=home is None,
    )
    return [flink, disk]


def _bind(port: int) -> OSError | None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen(1)
        except OSError as e:
            return e
    return None


def check_ports(ctx: DoctorContext) -> list[Finding]:
    error = _bind(0)
    out = [
        Finding(
            "loopback ports",
            error is None,
            "can listen on 127.0.0.1" if error is None else f"cannot listen on 127.0.0.1 ({error.strerror})",
            "" if error is None else "Bring up the loopback interface: ip link set lo up.",
        )
    ]
    for port, what in FLINK_PORTS.items():
        busy = _bind(port)
        detail = f"127.0.0.1:{port} ({what}) is free" if busy is None else f"127.0.0.1:{port} ({what}) is in use"
        fix = "" if busy is None else "scaletui picks free ports itself; stop a stale hand-started Flink if any."
        out.append(Finding(f"port {port}", busy is None, detail, fix, required=False))
    return out


def check_ansible(ctx: DoctorContext) -> list[Finding]:
    playbook = ctx.venv_bin / "ansible-playbook"
    if not (playbook.is_file() and os.access(playbook, os.X_OK)):
        found = ctx.which("ansible-playbook")
        detail = f"no ansible-playbook in {ctx.venv_bin}" + (f" (one is on PATH at {found})" if found else "")
        fix = "Reinstall scaletui's environment (the README's install command); it pins ansible-core 2.17."
        return [Finding("ansible-playbook", False, detail, fix, needed_for="stages")]
    try:
        version = importlib.metadata.version("ansible-core")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    ok = version.startswith(ANSIBLE_CORE + ".")
    fix = "" if ok else f"Install ansible-core {ANSIBLE_CORE}: uv pip install 'ansible-core~={ANSIBLE_CORE}.0'."
    return [Finding("ansible-playbook", ok, f"{playbook} (ansible-core {version})", fix, needed_for="stages")]


def check_ansible_runner(ctx: DoctorContext) -> list[Finding]:
    if importlib.util.find_spec("ansible_runner") is None:
        fix = "Reinstall scaletui's environment, or: uv pip install ansible-runner."
        detail = "the ansible_runner module is not installed"
        return [Finding("ansible-runner", False, detail, fix, needed_for="stages")]
    version = importlib.metadata.version("ansible-runner")
    return [Finding("ansible-runner", True, f"ansible-runner {version} importable", needed_for="stages")]


def _has_net_admin() -> bool:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return False
    match = re.search(r"^CapEff:\s*([0-9a-f]+)", status, re.M)
    return bool(match and int(match.group(1), 16) >> CAP_NET_ADMIN & 1)


def _sbin(ctx: DoctorContext, tool: str) -> Path | None:
    """`tool` on PATH, or in /usr/sbin or /sbin (not on a normal user's PATH)."""
    return ctx.which(tool) or next((Path(d) / tool for d in SBIN_DIRS if (Path(d) / tool).is_file()), None)


def check_network_faults(ctx: DoctorContext) -> list[Finding]:
    faults = "network faults"
    root = os.geteuid() == 0
    admin = root or _has_net_admin()
    out = [
        Finding(
            "root or CAP_NET_ADMIN",
            admin,
            "running as root" if root else ("has CAP_NET_ADMIN" if admin else f"running as uid {os.geteuid()}"),
            "" if admin else "Run with sudo -E for netem/iptables faults; otherwise delays use the user-space queue.",
            required=False,
            needed_for=faults,
        )
    ]
    tools = {"tc": "iproute2", "ip": "iproute2", "iptables": "iptables"}
    for tool, package in tools.items():
        path = _sbin(ctx, tool)
        detail = f"{tool} at {path}" if path else f"no {tool} on PATH or in /usr/sbin"
        if path and tool == "ip":
            netns = ctx.run([str(path), "netns", "list"])
            works = netns is not None and netns.returncode == 0
            detail += "; ip netns works" if works else "; ip netns does not work here"
        fix = "" if path else f"apt-get install -y {package}"
        out.append(Finding(tool, path is not None, detail, fix, required=False, needed_for=faults))
    out.append(_netem(ctx, root))
    return out


def _netem(ctx: DoctorContext, root: bool) -> Finding:
    """Loaded or built in, or proven by adding a netem qdisc to lo inside a throwaway network namespace."""
    fix = (
        "Load it: sudo modprobe sch_netem (Ubuntu: apt-get install linux-modules-extra-$(uname -r)); "
        "without it, local delay faults use the user-space delay queue."
    )

    def found(detail: str) -> Finding:
        return Finding("sch_netem", True, detail, required=False, needed_for="network faults")

    if Path("/sys/module/sch_netem").exists():
        return found("sch_netem is loaded")
    tc, unshare = ctx.which("tc") or Path("/usr/sbin/tc"), ctx.which("unshare")
    if unshare and tc.is_file():
        qdisc = [str(tc), "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"]
        result = ctx.run([str(unshare), "-n" if root else "-rn", *qdisc])
        if result is not None and result.returncode == 0:
            return found("a netem qdisc was added in a throwaway network namespace")
    modprobe = ctx.which("modprobe") or next(
        (p for p in (Path("/usr/sbin/modprobe"), Path("/sbin/modprobe")) if p.is_file()), None
    )
    if modprobe:
        result = ctx.run([str(modprobe), "-n", "-q", "sch_netem"])
        if result is not None and result.returncode == 0:
            return found("the sch_netem module is available (loads on first use as root)")
    detail = f"this kernel ({os.uname().release}) has no netem qdisc"
    return Finding("sch_netem", False, detail, fix, required=False, needed_for="network faults")


def check_fault_leftovers(ctx: DoctorContext) -> list[Finding]:
    """What faults changed on this host that is still there: iptables rules tagged `scaletui:<fault id>`, our tc root
    qdisc, processes marked SCALETUI_FAULT. A scaletui killed with kill -9 whose session directory is gone leaves them
    for good (no ledger will revert them); each is one finding with the command that removes it. The active faults of
    a scaletui running now are listed the same way: nothing on the host tells the two apart."""
    from scaletui.chaos import netfilter, procs, tc

    found: list[Finding] = []
    unseen: list[str] = []

    iptables = _sbin(ctx, "iptables")
    if iptables is None:
        unseen.append("iptables rules (no iptables on PATH or in /usr/sbin)")
    unread: dict[str, list[str]] = {}  # why -> the tables iptables would not list for that reason
    for table in LEFTOVER_TABLES if iptables else ():
        listing = ctx.run([str(iptables), "-w", "1", "-t", table, "-S"])
        if listing is None or listing.returncode != 0:
            why = re.sub(r"^iptables v\S+(?: \(\S+\))?: ", "", _why(ctx, listing))
            unread.setdefault(why, []).append(table)
            continue
        for rule in (line for line in netfilter.tagged_lines(listing.stdout) if line.startswith("-A ")):
            chain, _, spec = rule.removeprefix("-A ").partition(" ")
            action = spec[spec.find("-j ") :] if "-j " in spec else spec
            detail = f"fault {netfilter.fault_id(rule) or '?'}: iptables rule in {table} {chain} ({action})"
            fix = f"iptables -t {table} -D {chain} {spec}"
            found.append(Finding(f"iptables rule {len(found) + 1}", False, detail, fix, False, "network faults", True))

    for why, tables in unread.items():
        unseen.append(f"the iptables {' and '.join(tables)} table{'s' if len(tables) > 1 else ''} ({why})")

    tc_path = _sbin(ctx, "tc")
    shown = ctx.run([str(tc_path), "qdisc", "show"]) if tc_path else None
    if tc_path is None or shown is None or shown.returncode != 0:
        unseen.append("tc qdiscs (" + (_why(ctx, shown) if tc_path else "no tc on PATH or in /usr/sbin") + ")")
    for dev in tc.shaped_devices(shown.stdout) if shown else ():
        detail = f"scaletui's shaping root qdisc htb {tc.ROOT}: on {dev} (tc keeps no fault id)"
        fix = f"tc qdisc del dev {dev} root"
        found.append(Finding(f"tc qdisc {dev}", False, detail, fix, False, "network faults", True))

    for pid, marker in sorted(procs.fault_markers().items()):
        if pid == os.getpid():
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            command = "?"
        stopped = procs.run_state(pid) == "T"
        what = "stopped process" if stopped else "process"
        detail = f"fault {marker}: {what} {pid} ({command[:60]})"
        fix = f"kill -CONT {pid}; kill {pid}" if stopped else f"kill {pid}"
        found.append(Finding(f"process {pid}", False, detail, fix, False, "chaos faults", True))
    if os.geteuid() != 0:
        unseen.append("other users' processes (their environment is root's to read)")

    if not unseen:
        return found or [Finding("fault leftovers", True, ALL_CLEAR, "", False, "chaos faults")]
    detail = ("none found where it looked, but " if not found else "") + "could not look at " + "; ".join(unseen)
    if os.geteuid() != 0:
        detail += "; run it as root to see everything"
    return [*found, Finding("fault leftovers", True, detail, "", False, "chaos faults")]


def _why(ctx: DoctorContext, result: subprocess.CompletedProcess[str] | None) -> str:
    """Why a listing command gave nothing: its first line of stderr, its exit status, or the timeout."""
    if result is None:
        return f"it did not answer within {ctx.timeout:g} s"
    lines = result.stderr.strip().splitlines()
    return lines[0] if lines else f"exit status {result.returncode}"


def check_stress(ctx: DoctorContext) -> list[Finding]:
    path = ctx.which("stress-ng")
    detail = f"stress-ng at {path}" if path else "no stress-ng on PATH"
    fix = "" if path else "apt-get install -y stress-ng"
    return [Finding("stress-ng", path is not None, detail, fix, required=False, needed_for="CPU-stress faults")]


def check_kubernetes(ctx: DoctorContext) -> list[Finding]:
    k8s = "Kubernetes platforms"
    paths = [Path(p).expanduser() for p in ctx.env.get("KUBECONFIG", "").split(os.pathsep) if p]
    origin = "KUBECONFIG"
    if not paths:
        paths, origin = [ctx.home / ".kube" / "config"], "default"
    present = [p for p in paths if p.is_file()]
    config = Finding(
        "kubeconfig",
        bool(present),
        f"{present[0]} ({origin})" if present else f"no kubeconfig at {', '.join(map(str, paths))}",
        "" if present else "Run the orchestration stage (it writes one), or set KUBECONFIG to your cluster's file.",
        required=False,
        needed_for=k8s,
    )
    kubectl = ctx.which("kubectl")
    tool = Finding(
        "kubectl",
        kubectl is not None,
        f"kubectl at {kubectl}" if kubectl else "no kubectl on PATH (scaletui uses the API; kubectl is for you)",
        "" if kubectl else "Install kubectl: https://kubernetes.io/docs/tasks/tools/",
        required=False,
        needed_for=k8s,
    )
    return [config, tool]


def check_grid5000(ctx: DoctorContext) -> list[Finding]:
    """~/.python-grid5000.yaml: present, readable, not world-readable, a mapping with a username. Never printed."""
    g5k = "Grid5000 platforms"
    path = ctx.home / ".python-grid5000.yaml"
    fix = f"Write {path} with `username: <login>` and `password: <password>` (or uri/sslcert), then chmod 600 it."
    if not path.is_file():
        return [Finding("grid5000 credentials", False, f"{path} does not exist", fix, False, g5k)]
    if not os.access(path, os.R_OK):
        return [Finding("grid5000 credentials", False, f"{path} is not readable", f"chmod 600 {path}", False, g5k)]
    mode = path.stat().st_mode & 0o777
    if mode & 0o004:
        detail = f"{path} is world-readable (mode {mode:o})"
        return [Finding("grid5000 credentials", False, detail, f"chmod 600 {path}", False, g5k)]
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        data = None
    if not isinstance(data, dict) or not ({"username", "sslcert"} & data.keys()):
        detail = f"{path} is not a YAML mapping with a username (contents not shown)"
        return [Finding("grid5000 credentials", False, detail, fix, False, g5k)]
    return [Finding("grid5000 credentials", True, f"{path} (mode {mode:o})", required=False, needed_for=g5k)]


def check_ssh_key(ctx: DoctorContext) -> list[Finding]:
    ssh = ctx.home / ".ssh"
    keys = [ssh / name for name in ("id_ed25519", "id_ecdsa", "id_rsa") if (ssh / name).is_file()]
    paired = [k for k in keys if k.with_name(k.name + ".pub").is_file()]
    detail = f"{paired[0]} (+ .pub)" if paired else f"no id_ed25519/id_ecdsa/id_rsa key pair in {ssh}"
    fix = "" if paired else "ssh-keygen -t ed25519, then add the .pub key to your testbed account."
    return [Finding("ssh key", bool(paired), detail, fix, required=False, needed_for="testbeds")]


CHECKS: tuple[Check, ...] = (
    check_python,
    check_java,
    check_javac,
    check_flink,
    check_ports,
    check_ansible,
    check_ansible_runner,
    check_network_faults,
    check_fault_leftovers,
    check_stress,
    check_kubernetes,
    check_grid5000,
    check_ssh_key,
)


def run_checks(ctx: DoctorContext | None = None, checks: tuple[Check, ...] = CHECKS) -> list[Finding]:
    """All findings, in the order of `checks`; a check that crashes becomes a failed finding, not a traceback."""
    ctx = ctx or DoctorContext()

    def safe(check: Check) -> list[Finding]:
        try:
            return check(ctx)
        except Exception as e:  # a broken check must not hide the others
            name = check.__name__.removeprefix("check_")
            return [Finding(name, False, f"the check failed: {type(e).__name__}: {e}", "Report this as a bug.")]

    with ThreadPoolExecutor(max_workers=min(8, len(checks))) as pool:
        results = list(pool.map(safe, checks))
    return [finding for group in results for finding in group]


def all_required_ok(findings: list[Finding]) -> bool:
    return all(f.ok for f in findings if f.required)
