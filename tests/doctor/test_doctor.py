"""`scaletui doctor`: the findings' structure, and checks forced into failure with real files, real PATHs and real
(shell-script) executables instead of the machine's own tools."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

import pytest

from scaletui.machine_checks import (
    CHECKS,
    DoctorContext,
    Finding,
    all_required_ok,
    run_checks,
)
from tests.doctor.conftest import by_name, context

REQUIRED = {"python", "java", "javac", "loopback ports", "ansible-playbook", "ansible-runner"}


def fake_java(bin_dir: Path, version: str) -> None:
    """A `java` that answers -version on stderr the way OpenJDK does, and a javac next to it."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for tool in ("java", "javac"):
        script = bin_dir / tool
        script.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2025-04-15' >&2\n")
        script.chmod(0o755)


def test_every_check_gives_named_findings_with_a_fix_when_missing(home: Path) -> None:
    started = time.monotonic()
    findings = run_checks(DoctorContext(env={**os.environ, "HOME": str(home)}, cache_dir=home / "cache"))
    elapsed = time.monotonic() - started
    names = [f.name for f in findings]
    assert len(names) == len(set(names))
    assert {f.name for f in findings if f.required} >= REQUIRED
    assert {"sch_netem", "kubeconfig", "grid5000 credentials", "ssh key", "port 8081"} <= set(names)
    assert "fault leftovers" in names or any(f.leftover for f in findings)
    for f in findings:
        assert f.detail, f
        assert f.ok or f.fix, f
        assert set(f.to_dict()) == {"name", "ok", "detail", "fix", "required", "needed_for", "leftover"}
    # an empty HOME has no credentials, key or kubeconfig
    found = by_name(findings)
    assert not found["grid5000 credentials"].ok and not found["ssh key"].ok and not found["kubeconfig"].ok
    assert elapsed < 10, f"doctor took {elapsed:.1f} s"


def test_path_without_java_gives_missing_java_with_a_fix(home: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    findings = run_checks(context(home, str(empty)))
    java, javac = by_name(findings)["java"], by_name(findings)["javac"]
    assert not java.ok and java.required and "no java" in java.detail
    assert "openjdk-17-jdk-headless" in java.fix and "JAVA_HOME" in java.fix
    assert not javac.ok and "JDK" in javac.fix
    assert not all_required_ok(findings)


@pytest.mark.parametrize(("version", "major", "ok"), [("1.8.0_292", 8, False), ("21.0.2", 21, True)])
def test_java_version_is_read_from_the_binary(home: Path, tmp_path: Path, version: str, major: int, ok: bool) -> None:
    fake_java(tmp_path / "jdk" / "bin", version)
    ctx = context(home, "/nonexistent", JAVA_HOME=str(tmp_path / "jdk"))
    found = by_name(run_checks(ctx))
    assert found["java"].ok is ok and f"Java {major}" in found["java"].detail
    assert found["javac"].ok and str(tmp_path / "jdk") in found["javac"].detail


def test_grid5000_credentials_checked_without_showing_them(home: Path) -> None:
    creds = home / ".python-grid5000.yaml"
    creds.write_text("username: alice\npassword: s3cret-value\n")
    creds.chmod(0o644)
    [finding] = [f for f in run_checks(context(home, "")) if f.name == "grid5000 credentials"]
    assert not finding.ok and "world-readable" in finding.detail and f"chmod 600 {creds}" == finding.fix
    creds.chmod(0o600)
    found = by_name(run_checks(context(home, "")))
    assert found["grid5000 credentials"].ok and "600" in found["grid5000 credentials"].detail
    creds.write_text("just: [a, list]\n")
    found = by_name(run_checks(context(home, "")))
    assert not found["grid5000 credentials"].ok
    for f in found.values():
        assert "s3cret-value" not in f.detail + f.fix and "alice" not in f.detail + f.fix


def test_kubeconfig_and_ssh_key_from_the_environment(home: Path, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc.yaml"
    kubeconfig.write_text("apiVersion: v1\n")
    (home / ".ssh").mkdir()
    (home / ".ssh" / "id_ed25519").write_text("key")
    (home / ".ssh" / "id_ed25519.pub").write_text("pub")
    found = by_name(run_checks(context(home, "", KUBECONFIG=f"{tmp_path / 'missing'}{os.pathsep}{kubeconfig}")))
    assert found["kubeconfig"].ok and str(kubeconfig) in found["kubeconfig"].detail
    assert found["ssh key"].ok
    found = by_name(run_checks(context(home, "", KUBECONFIG=str(tmp_path / "missing"))))
    assert not found["kubeconfig"].ok and "KUBECONFIG" in found["kubeconfig"].fix


def test_busy_flink_port_is_reported(home: Path) -> None:
    listener = socket.socket()
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", 8081))
            listener.listen(1)
        except OSError:
            pass  # someone else already listens there: the port is busy either way
        found = by_name(run_checks(context(home, "")))
    finally:
        listener.close()
    assert not found["port 8081"].ok and not found["port 8081"].required and "in use" in found["port 8081"].detail
    assert found["loopback ports"].ok


def test_a_broken_flink_home_fails_a_required_check(home: Path, tmp_path: Path) -> None:
    found = by_name(run_checks(context(home, "", FLINK_HOME=str(tmp_path / "not-flink"))))
    assert not found["flink"].ok and found["flink"].required and "FLINK_HOME" in found["flink"].fix


def test_a_crashing_check_becomes_a_failed_finding(home: Path) -> None:
    def check_boom(ctx: DoctorContext) -> list[Finding]:
        raise RuntimeError("kaput")

    findings = run_checks(context(home, ""), checks=(CHECKS[0], check_boom))
    assert [f.name for f in findings] == ["python", "boom"]
    assert not findings[1].ok and "kaput" in findings[1].detail


def test_command_exit_status_and_output(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from scaletui.commands import doctor as command

    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("SCALETUI_HOME", str(home / "scaletui"))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("FLINK_HOME", raising=False)
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    args = parser.parse_args(["doctor"])
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert "MISSING  java" in out and "fix: Install a JDK" in out and "Not ready:" in out

    fake_java(tmp_path / "jdk" / "bin", "17.0.15")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    args = parser.parse_args(["doctor", "--json"])
    status = args.func(args)
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is (status == 0)
    required = {f["name"]: f["ok"] for f in report["findings"] if f["required"]}
    assert required["java"] and required["javac"] and required["python"] == (sys.version_info >= (3, 11))


# --- fault leftovers ---------------------------------------------------------------------------------------------
