"""`scaletui doctor`'s fault-leftover check: listings read from fake tools, and real leftovers (a tagged iptables
rule on the host, in a named network namespace and in a process's own one; a marked stopped process) found and
removed by running the fix the finding gives."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scaletui import doctor_context, fault_leftovers
from scaletui.machine_checks import (
    DoctorContext,
    check_fault_leftovers,
)
from tests.doctor.conftest import by_name, context

MANGLE = """-P PREROUTING ACCEPT
-P OUTPUT ACCEPT
-A OUTPUT -p tcp -m multiport --sports 37001,37002 -m comment --comment "scaletui:cafe00000001" -j NFQUEUE --queue-num 7 --queue-bypass
-A OUTPUT -p tcp -m multiport --sports 41000 -m comment --comment scaletui:cafe00000002 -m statistic --mode random --probability 0.10000000009 -j DROP
-A OUTPUT -p udp -m comment --comment "someone else" -j ACCEPT
"""  # noqa: E501  (iptables -S lines as nf_tables (quoted) and legacy (bare) print them)
QDISCS = """qdisc htb 5c7: dev lo root refcnt 2 r2q 10 default 0 direct_packets_stat 12 direct_qlen 1000
qdisc netem 102: dev lo parent 5c7:2 limit 1000 delay 50ms
qdisc fq_codel 0: dev eth0 root refcnt 2 limit 10240p flows 1024
"""


CAT = shutil.which("cat") or "/bin/cat"  # the fake tools run with PATH set to their own directory only


def fake_tools(
    bin_dir: Path, mangle: str, qdiscs: str, iptables_fails: str = "", inside: dict[str, tuple[str, str]] | None = None
) -> None:
    """An `iptables` whose `-t mangle -S` prints `mangle` (or that fails with `iptables_fails` on stderr), and a `tc`
    whose `qdisc show` prints `qdiscs`. With `inside` (a namespace file's name -> its mangle and qdisc listings), also
    an `nsenter` that tells the two which namespace they run in; they fail in one `inside` does not list."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir / "mangle.txt").write_text(mangle)
    (bin_dir / "qdiscs.txt").write_text(qdiscs)
    for name, (ns_mangle, ns_qdiscs) in (inside or {}).items():
        (bin_dir / f"mangle-{name}.txt").write_text(ns_mangle)
        (bin_dir / f"qdiscs-{name}.txt").write_text(ns_qdiscs)
    which = "${FAKE_NETNS:+-${FAKE_NETNS##*/}}.txt"  # mangle.txt on the host, mangle-alpha.txt in .../alpha
    if iptables_fails:
        iptables = f"#!/bin/sh\necho '{iptables_fails}' >&2\nexit 4\n"
    else:
        iptables = f'#!/bin/sh\ncase "$*" in *"-t mangle -S"*) {CAT} {bin_dir}/mangle{which};; esac\n'
    tools = {"iptables": iptables, "tc": f"#!/bin/sh\n{CAT} {bin_dir}/qdiscs{which}\n"}
    if inside is not None:
        tools["nsenter"] = '#!/bin/sh\nFAKE_NETNS="${1#--net=}"\nexport FAKE_NETNS\nshift\nexec "$@"\n'
    for name, text in tools.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)


def test_leftover_rules_and_qdiscs_are_read_from_the_listings(home: Path, tmp_path: Path) -> None:
    fake_tools(tmp_path / "bin", MANGLE, QDISCS)
    findings = check_fault_leftovers(context(home, str(tmp_path / "bin")))
    rules = [f for f in findings if f.name.startswith("iptables rule")]
    assert [f.name for f in rules] == ["iptables rule 1", "iptables rule 2"]
    assert all(f.leftover and not f.ok and not f.required and f.needed_for == "network faults" for f in rules)
    assert "fault cafe00000001" in rules[0].detail and "mangle OUTPUT" in rules[0].detail
    assert "-j NFQUEUE" in rules[0].detail
    assert rules[0].fix == (
        "iptables -t mangle -D OUTPUT -p tcp -m multiport --sports 37001,37002 "
        '-m comment --comment "scaletui:cafe00000001" -j NFQUEUE --queue-num 7 --queue-bypass'
    )
    assert "fault cafe00000002" in rules[1].detail and "-j DROP" in rules[1].detail
    assert rules[1].fix.startswith("iptables -t mangle -D OUTPUT -p tcp -m multiport --sports 41000 ")
    from scaletui.chaos import netfilter

    assert netfilter.TABLE in fault_leftovers.LEFTOVER_TABLES  # where the product's rules go is looked at
    qdisc = by_name(findings)["tc qdisc lo"]
    assert qdisc.leftover and not qdisc.ok and qdisc.fix == "tc qdisc del dev lo root"
    assert not any("eth0" in f.name or "someone else" in f.fix for f in findings)

    from scaletui.commands.doctor import format_findings

    lines = format_findings(findings)
    assert any(line.startswith("Fault leftovers") for line in lines)
    assert any("leftover iptables rule 1" in line and "cafe00000001" in line for line in lines)
    assert any(line.strip() == f"fix: {rules[0].fix}" for line in lines)


def test_leftovers_that_cannot_be_looked_at_are_said_not_failed(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    denied = "iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)"
    fake_tools(tmp_path / "bin", "", "", iptables_fails=denied)
    findings = check_fault_leftovers(context(home, str(tmp_path / "bin")))
    [note] = [f for f in findings if f.name == "fault leftovers"]
    assert note.ok and not note.leftover and "could not look at the iptables mangle and filter tables" in note.detail
    assert "(Could not fetch rule set generation id: Permission denied (you must be root))" in note.detail

    monkeypatch.setattr(doctor_context, "SBIN_DIRS", ())
    findings = check_fault_leftovers(context(home, str(tmp_path / "empty")))
    [note] = [f for f in findings if f.name == "fault leftovers"]
    assert note.ok and "no iptables on PATH" in note.detail and "no tc on PATH" in note.detail


def test_leftovers_in_other_network_namespaces_are_named_and_fixed_from_inside(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Named namespaces as plain files in a stand-in for /var/run/netns, entered by a fake nsenter: alpha holds a
    fault's rules and qdisc, beta nothing, gamma cannot be listed."""
    from scaletui.chaos import netns

    named = tmp_path / "netns"
    named.mkdir()
    for name in ("alpha", "beta", "gamma"):
        (named / name).touch()
    monkeypatch.setattr(netns, "NETNS_DIR", named)
    monkeypatch.setattr(os, "geteuid", lambda: 0)  # only root may enter a namespace; the fake nsenter lets anyone
    fake_tools(tmp_path / "bin", MANGLE, "", inside={"alpha": (MANGLE, QDISCS), "beta": ("", "")})
    found = by_name(check_fault_leftovers(context(home, str(tmp_path / "bin"))))
    assert "iptables rule 1" in found and "iptables rule 2" in found and "tc qdisc lo" not in found  # the host's
    rule = found["iptables rule 1 (netns alpha)"]
    assert rule.leftover and not rule.ok and not rule.required and rule.needed_for == "network faults"
    assert rule.detail.startswith("fault cafe00000001: iptables rule in mangle OUTPUT (-j NFQUEUE")
    assert rule.detail.endswith(" in netns alpha")
    assert rule.fix == "ip netns exec alpha " + found["iptables rule 1"].fix
    assert found["iptables rule 2 (netns alpha)"].fix.startswith("ip netns exec alpha iptables -t mangle -D OUTPUT ")
    qdisc = found["tc qdisc lo (netns alpha)"]
    assert (
        "htb 5c7: on lo in netns alpha" in qdisc.detail and qdisc.fix == "ip netns exec alpha tc qdisc del dev lo root"
    )
    assert not any("beta" in name for name in found)
    note = found["fault leftovers"].detail
    assert "the iptables mangle table (" in note and "tc qdiscs (" in note and "in netns gamma" in note
    assert "alpha" not in note and "beta" not in note

    monkeypatch.setattr(fault_leftovers, "MAX_NAMESPACES", 1)
    found = by_name(check_fault_leftovers(context(home, str(tmp_path / "bin"))))
    assert "tc qdisc lo (netns alpha)" in found and "gamma" not in found["fault leftovers"].detail
    assert "more network namespaces (at most 1 besides the host's are entered" in found["fault leftovers"].detail

    (tmp_path / "bin" / "nsenter").unlink()
    monkeypatch.setattr(doctor_context, "SBIN_DIRS", ())
    found = by_name(check_fault_leftovers(context(home, str(tmp_path / "bin"))))
    assert not any("alpha" in name for name in found)
    assert "other network namespace(s) (no nsenter on PATH" in found["fault leftovers"].detail

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    note = by_name(check_fault_leftovers(context(home, str(tmp_path / "bin"))))["fault leftovers"].detail
    assert "the other network namespaces (entering one needs root)" in note and "run it as root" in note


def test_a_marked_stopped_process_is_listed_with_its_fault_and_removed_by_the_fix(home: Path, tmp_path: Path) -> None:
    """A real process marked the way a fault's helpers are (SCALETUI_FAULT=<fault id>), stopped."""
    from scaletui.chaos.procs import MARKER_ENV

    fake_tools(tmp_path / "bin", "", "")
    env = {**os.environ, MARKER_ENV: "doctortest0002"}
    child = subprocess.Popen(["sleep", "30"], env=env)
    try:
        os.kill(child.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 5
        while Path(f"/proc/{child.pid}/stat").read_text().split(") ")[1][0] != "T" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert Path(f"/proc/{child.pid}/stat").read_text().split(") ")[1][0] == "T", "SIGSTOP not taken within 5 s"
        found = by_name(check_fault_leftovers(context(home, str(tmp_path / "bin"))))
        mine = found[f"process {child.pid}"]
        assert mine.leftover and not mine.ok and mine.needed_for == "chaos faults"
        assert "fault doctortest0002" in mine.detail and "stopped" in mine.detail and "sleep 30" in mine.detail
        assert mine.fix == f"kill -CONT {child.pid}; kill {child.pid}"
        subprocess.run(mine.fix, shell=True, check=True)
        assert child.wait(timeout=5) == -signal.SIGTERM
        assert f"process {child.pid}" not in by_name(check_fault_leftovers(context(home, str(tmp_path / "bin"))))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _host_mangle_output() -> str:
    return subprocess.run(["iptables", "-t", "mangle", "-S", "OUTPUT"], capture_output=True, text=True).stdout


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0, reason="adds an iptables rule to the host's mangle table: needs root")
def test_a_tagged_host_rule_is_found_and_its_fix_removes_it() -> None:
    """A rule in the product's own tag format, as a fault killed with kill -9 leaves it (harmless: ACCEPT of UDP to
    the discard port on lo). Other scaletui runs may have rules of their own here: only ours is looked at."""
    fault_id = "doctortest0001"
    spec = ["-o", "lo", "-p", "udp", "--dport", "9", "-m", "comment", "--comment", f"scaletui:{fault_id}"]
    spec += ["-j", "ACCEPT"]
    subprocess.run(["iptables", "-w", "5", "-t", "mangle", "-A", "OUTPUT", *spec], check=True)
    try:
        findings = check_fault_leftovers(DoctorContext())
        [mine] = [f for f in findings if f"fault {fault_id}" in f.detail]
        assert mine.leftover and not mine.ok and not mine.required and mine.name.startswith("iptables rule")
        assert "mangle OUTPUT" in mine.detail and "-j ACCEPT" in mine.detail
        assert mine.fix.startswith("iptables -t mangle -D OUTPUT -o lo -p udp ")
        assert f"scaletui:{fault_id}" in mine.fix and "--dport 9" in mine.fix
        subprocess.run(mine.fix, shell=True, check=True)
        assert f"scaletui:{fault_id}" not in _host_mangle_output()
        after = check_fault_leftovers(DoctorContext())
        assert not any(fault_id in f.detail for f in after)
        if not any(f.leftover for f in after):  # nobody else's leftovers either: the all-clear finding
            assert [(f.name, f.ok, f.detail) for f in after] == [("fault leftovers", True, fault_leftovers.ALL_CLEAR)]
    finally:
        for _ in range(5):  # every copy of the rule, should the test have added it more than once
            removed = subprocess.run(
                ["iptables", "-w", "5", "-t", "mangle", "-D", "OUTPUT", *spec], capture_output=True
            )
            if removed.returncode != 0:
                break
    assert f"scaletui:{fault_id}" not in _host_mangle_output()


def _in_netns(name: str, argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", "netns", "exec", name, *argv], capture_output=True, text=True, timeout=10)


@pytest.fixture
def named_netns() -> Iterator[str]:
    """A named network namespace of this test run's own, deleted (with whatever is in it) at the end."""
    if os.geteuid() != 0:
        pytest.skip("creates a network namespace: needs root")
    name = f"sttdoc{os.getpid()}"
    added = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True, timeout=10)
    if added.returncode != 0:
        pytest.skip(f"ip netns add failed: {added.stderr.strip()}")
    try:
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=10)


@pytest.mark.root
def test_leftovers_in_a_named_network_namespace_are_found_and_their_fixes_remove_them(named_netns: str) -> None:
    """A fault's rule (netfilter's own format) and scaletui's root qdisc inside a real named namespace, as a fault on
    a sandboxed target killed with kill -9 leaves them; the host's iptables are not touched."""
    from scaletui.chaos import netfilter, tc

    fault_id = "doctortest0003"
    [rule] = netfilter.port_rules(fault_id, [9], ["-j", "DROP"])
    added = _in_netns(named_netns, ["iptables", "-w", "5", "-t", netfilter.TABLE, "-A", netfilter.CHAIN, *rule])
    assert added.returncode == 0, added.stderr
    root = ["tc", "qdisc", "add", "dev", "lo", "root", "handle", f"{tc.ROOT}:", "htb", "default", "0"]
    shaped = _in_netns(named_netns, root).returncode == 0  # a kernel without sch_htb still has the rule to find

    found = by_name(check_fault_leftovers(DoctorContext()))
    mine = found[f"iptables rule 1 (netns {named_netns})"]
    assert mine.leftover and not mine.ok and not mine.required
    assert mine.detail.startswith(f"fault {fault_id}: iptables rule in mangle OUTPUT (-j DROP)")
    assert mine.detail.endswith(f" in netns {named_netns}")
    assert mine.fix.startswith(f"ip netns exec {named_netns} iptables -t mangle -D OUTPUT -p tcp -m multiport ")
    assert "--sports 9 " in mine.fix and f"scaletui:{fault_id}" in mine.fix and mine.fix.endswith(" -j DROP")
    fixes = [mine.fix]
    if shaped:
        qdisc = found[f"tc qdisc lo (netns {named_netns})"]
        assert (
            qdisc.detail
            == f"scaletui's shaping root qdisc htb {tc.ROOT}: on lo in netns {named_netns} (tc keeps no fault id)"
        )
        assert qdisc.fix == f"ip netns exec {named_netns} tc qdisc del dev lo root"
        fixes.append(qdisc.fix)
    for fix in fixes:
        subprocess.run(fix, shell=True, check=True, timeout=10)

    assert "scaletui:" not in _in_netns(named_netns, ["iptables", "-t", "mangle", "-S"]).stdout
    assert f"htb {tc.ROOT}:" not in _in_netns(named_netns, ["tc", "qdisc", "show"]).stdout
    after = check_fault_leftovers(DoctorContext())
    assert not any(named_netns in f.name or named_netns in f.detail for f in after)


@pytest.mark.root
@pytest.mark.skipif(os.geteuid() != 0, reason="enters another network namespace: needs root")
def test_a_leftover_in_a_process_s_own_network_namespace_is_removed_through_nsenter() -> None:
    """A target started in a namespace of its own (a container's, say): found through /proc, fixed with nsenter."""
    from scaletui.chaos import netfilter

    fault_id = "doctortest0004"
    [rule] = netfilter.port_rules(fault_id, [9], ["-j", "DROP"])
    child = subprocess.Popen(
        ["unshare", "--net", "sh", "-c", "echo ready; exec sleep 30"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        if child.stdout.readline().strip() != "ready":  # it prints only once in its new namespace, else exits
            pytest.skip("unshare --net failed")
        enter = ["nsenter", f"--net=/proc/{child.pid}/ns/net"]
        iptables = [*enter, "iptables", "-w", "5", "-t", "mangle"]
        subprocess.run([*iptables, "-A", "OUTPUT", *rule], check=True, timeout=10)

        found = by_name(check_fault_leftovers(DoctorContext()))
        mine = found[f"iptables rule 1 (netns of pid {child.pid})"]
        assert f"fault {fault_id}" in mine.detail
        assert mine.detail.endswith(f" in the network namespace of process {child.pid} (sleep 30)")
        assert mine.fix.startswith(f"nsenter --net=/proc/{child.pid}/ns/net iptables -t mangle -D OUTPUT -p tcp ")
        subprocess.run(mine.fix, shell=True, check=True, timeout=10)
        listing = subprocess.run([*iptables, "-S"], capture_output=True, text=True, timeout=10)
        assert listing.returncode == 0 and "scaletui:" not in listing.stdout
        assert not any(str(child.pid) in f.name for f in check_fault_leftovers(DoctorContext()))
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
