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
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scaletui.doctor_context import Check, DoctorContext, Finding
from scaletui.fault_leftovers import check_fault_leftovers

MIN_PYTHON = (3, 11)
MIN_JAVA = 11
ANSIBLE_CORE = "2.17"
FLINK_FREE_BYTES = 1 << 30
FLINK_PORTS = {8081: "Flink REST/web UI", 6123: "Flink JobManager RPC"}
CAP_NET_ADMIN = 12
JDK_FIX = "Install a JDK 11 or newer: apt-get install -y openjdk-17-jdk-headless (or set JAVA_HOME to one)."


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
        path = ctx.sbin(tool)
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
