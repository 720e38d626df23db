"""Platforms driven by an EnosLib provider: Grid5000, VagrantG5k, VMonG5k, Chameleon, FIT (IoT-LAB), Static.

Credentials stay where EnosLib reads them (~/.python-grid5000.yaml, the OpenStack rc file / OS_* variables,
~/.iotlabrc, SSH keys); scaletui never reads them into its own files.

Grid5000-family reservations are split so cancel works: submit (EnosLib `async_init`), poll the job with the cancel
event, then `init()` which re-attaches to the job by name, fetches the nodes and grants root access. A cancel
while waiting deletes the job, so nothing is left behind. When anything fails once the job runs (SSH to the nodes
unreachable, a key missing), the job is released, or kept with `on_setup_failure = "keep"`; either way the error
says which, and how to release or retry. Errors are one sentence (enos_errors.py); the full text goes to the log.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
import threading
import time
from dataclasses import replace
from typing import Any

from scaletui.config.models import PlatformFile
from scaletui.errors import ConfigError, PlatformError
from scaletui.platforms.base import (
    ROLE_KEYS,
    Inventory,
    InventoryHost,
    PlatformStatus,
    ProgressFn,
    ReservationCancelled,
    ReservationState,
    no_progress,
)
from scaletui.platforms.enos_conf import build_configuration, enoslib_module, provider_class
from scaletui.platforms.enos_errors import detail, from_testbed, reason

log = logging.getLogger(__name__)
SETUP_FAILURE = ("release", "keep")
G5K_FAMILY = ("Grid5000", "VagrantG5k")
SSH_CONNECTIONS = ("ssh", "smart", "paramiko", "paramiko_ssh")
"""Ansible connection plugins that log in over SSH (`smart` picks ssh)."""
OAR_STATES: dict[str, ReservationState] = {
    "waiting": "waiting",
    "launching": "waiting",
    "hold": "waiting",
    "tolaunch": "waiting",
    "torerun": "waiting",
    "tohold": "waiting",
    "running": "running",
    "finishing": "released",
    "terminated": "released",
    "error": "failed",
}


def inventory_from_roles(platform_name: str, roles: Any, default_user: str = "root") -> Inventory:
    """EnosLib `Roles` (role -> hosts) to our inventory; a host in several roles keeps the first in ROLE_KEYS order."""
    hosts: dict[str, InventoryHost] = {}
    for role_key, cluster_role in ROLE_KEYS.items():
        for host in roles.get(role_key, []) if hasattr(roles, "get") else []:
            name = host.alias or host.address
            if name in hosts:
                continue
            extra: dict[str, str | int] = {}
            if host.port:
                extra["ansible_port"] = int(host.port)
            if host.keyfile:
                extra["ansible_ssh_private_key_file"] = str(host.keyfile)
            for key, value in (host.extra or {}).items():
                if key.startswith("ansible_") and isinstance(value, (str, int)):
                    extra[key] = value
            gateway = (host.extra or {}).get("gateway")
            if gateway:
                jump_user = (host.extra or {}).get("gateway_user")
                extra["ansible_ssh_common_args"] = f"-o ProxyJump={jump_user + '@' if jump_user else ''}{gateway}"
            hosts[name] = InventoryHost(
                name=name,
                address=host.address,
                user=host.user or default_user,
                cluster_role=cluster_role,
                platform_name=platform_name,
                vars=extra,
            )
    return Inventory(platform_name, tuple(hosts.values()))


def over_ssh(host: InventoryHost) -> bool:
    """Whether Ansible reaches this host over SSH: a host with `ansible_connection = "local"` (or docker...) has no
    sshd to probe."""
    return str(host.vars.get("ansible_connection", "ssh")) in SSH_CONNECTIONS


def ssh_check_line(inventory: Inventory) -> str:
    """The progress line of the SSH check, naming the hosts it skips and why."""
    skipped = [f"{h.name} ({h.vars['ansible_connection']})" for h in inventory.hosts if not over_ssh(h)]
    if not skipped:
        return "checking SSH to every host"
    probed = [h.name for h in inventory.hosts if over_ssh(h)]
    to = f"checking SSH to {', '.join(probed)}" if probed else "no SSH to check"
    return f"{to}; not over SSH, so not probed: {', '.join(skipped)}"


def check_ssh(inventory: Inventory, timeout_s: float = 20.0) -> None:
    """Static hosts are only useful if Ansible can log in: try each host reached over SSH with the ssh client,
    non-interactively."""
    for host in filter(over_ssh, inventory.hosts):
        cmd = [
            "ssh",
            *shlex.split(str(host.vars.get("ansible_ssh_common_args", ""))),
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            f"ConnectTimeout={int(timeout_s)}",
            "-p",
            str(host.vars.get("ansible_port", 22)),
        ]
        if "ansible_ssh_private_key_file" in host.vars:
            cmd += ["-i", str(host.vars["ansible_ssh_private_key_file"])]
        cmd += [f"{host.user}@{host.address}", "true"]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s + 5)
        except subprocess.TimeoutExpired:
            raise PlatformError(
                f"{host.name} did not answer over SSH within {int(timeout_s)} s.",
                "Check the address and port in settings.hosts.",
            ) from None
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise PlatformError(
                f"SSH to {host.user}@{host.address} failed: {reason}.",
                "Check settings.hosts (user, keyfile, port) and that your key is authorized.",
            )


class EnosPlatform:
    """One EnosLib provider behind the `Platform` protocol."""

    def __init__(self, pf: PlatformFile, source: str = "", poll_s: float = 5.0) -> None:
        self.pf = pf
        self.source = source or f"conf/platforms/{pf.platform.name}.toml"
        self.name = pf.platform.name
        self.type = pf.platform.type
        self.can_extend = self.type in G5K_FAMILY
        self.on_setup_failure = str(pf.settings.get("on_setup_failure", "release"))
        if self.on_setup_failure not in SETUP_FAILURE:
            raise ConfigError(
                f"{self.source}: key settings.on_setup_failure expected release or keep, got {self.on_setup_failure!r}."
            )
        self.poll_s = poll_s
        self.asked_testbed = True
        """False while the provider is being built: a reservation failing then asked the testbed nothing."""
        self._conf: Any = None
        self._provider: Any = None
        self._status = PlatformStatus(
            state="none", site=str(pf.settings.get("site", "")), cluster=str(pf.settings.get("cluster", ""))
        )

    # --- building ------------------------------------------------------------------------------------------------

    def configuration(self) -> Any:
        """The finalized EnosLib configuration (raises ConfigError naming the TOML key)."""
        if self._conf is None:
            self._conf = build_configuration(self.pf, self.source)
        return self._conf

    def provider(self) -> Any:
        if self._provider is None:
            provider = provider_class(self.type)
            # EnosLib's own console output would break the TUI's screen
            enoslib_module("enoslib.config").set_config(ansible_stdout="noop")
            self._provider = provider(self.configuration())
        return self._provider

    # --- Platform protocol ---------------------------------------------------------------------------------------

    def reserve(self, cancel: threading.Event, progress: ProgressFn = no_progress) -> Inventory:
        progress("checking the configuration", 0.02)
        self.asked_testbed = False
        provider = self.provider()
        self.asked_testbed = True
        if cancel.is_set():
            raise ReservationCancelled(f"reservation of {self.name} was cancelled before anything was submitted.")
        if self.type in G5K_FAMILY:
            self._submit_and_wait(provider, cancel, progress)
        progress("getting the nodes ready", 0.8)
        try:
            roles, _networks = provider.init()
        except Exception as e:
            log.error("%s could not provide the machines of %s:\n%s", self.type, self.name, detail(e))
            failed = f"{self.type} could not set up the machines of {self.name}: {reason(e)}."
            raise self._setup_failed(failed) from None
        if self.type in G5K_FAMILY:
            self._status = self.status()
        else:
            self._status = PlatformStatus(
                state="running",
                site=self._status.site,
                cluster=self._status.cluster,
                walltime_s=self._walltime_setting(),
                started_at=time.time(),
            )
        inventory = inventory_from_roles(self.name, roles)
        if self.type == "Static":
            progress(ssh_check_line(inventory), 0.9)
            check_ssh(inventory)
        progress("machines ready", 1.0)
        return inventory

    def _setup_failed(self, sentence: str) -> PlatformError:
        """What failed after the job was granted: release the job (or keep it, as configured), and say which."""
        job = self._status.job_id
        if self.type not in G5K_FAMILY or not job:
            self._status = replace(self._status, state="failed", message=sentence)
            return PlatformError(sentence, "The session log has the full error.")
        keep = f"release it with: scaletui destroy {self.name} --yes"
        if self.on_setup_failure == "keep":
            self._status = replace(self._status, state="failed", message=f"{sentence} Job {job} kept.")
            return PlatformError(
                f"{sentence} Job {job} is kept (settings.on_setup_failure).",
                f"Fix it and reserve {self.name} again (it re-attaches to job {job}), or {keep}",
            )
        try:
            self.release()
        except PlatformError as e:
            self._status = replace(self._status, state="failed", message=f"{sentence} Job {job} kept.")
            return PlatformError(f"{sentence} Job {job} could not be released ({e.message}).", f"Retry: {keep}")
        self._status = replace(self._status, message=f"{sentence} Job {job} released.")
        return PlatformError(f"{sentence} Job {job} was released.", f"Fix it and reserve {self.name} again.")

    def status(self) -> PlatformStatus:
        if self.type not in G5K_FAMILY or self._status.state in ("none", "released"):
            return self._status
        jobs = self._jobs()
        if not jobs:
            return PlatformStatus(
                state="released",
                site=self._status.site,
                cluster=self._status.cluster,
                job_id=self._status.job_id,
                message="the job is no longer on the testbed",
            )
        return self._oar_status(jobs[0])

    def _oar_status(self, job: Any) -> PlatformStatus:
        """A Grid5000 job as python-grid5000 describes it (state, site, walltime), as this platform's status."""
        return PlatformStatus(
            state=OAR_STATES.get(job.state, "waiting"),
            job_id=str(job.uid),
            site=str(job.site),
            cluster=self._status.cluster,
            walltime_s=int(getattr(job, "walltime", 0) or 0),
            started_at=float(getattr(job, "started_at", 0) or 0),
            message=f"OAR state {job.state}",
        )

    def extend(self, seconds: int) -> PlatformStatus:
        if not self.can_extend:
            raise PlatformError(f"{self.type} cannot extend a reservation's walltime.")
        jobs = self._jobs()
        if not jobs:
            raise PlatformError(f"{self.name} has no job on the testbed to extend.", "Reserve it first.")
        hours, rest = divmod(int(seconds), 3600)
        for job in jobs:
            try:
                job.walltime_change.create({"walltime": f"+{hours:02d}:{rest // 60:02d}"})
            except Exception as e:
                log.error("walltime change of job %s refused:\n%s", job.uid, detail(e))
                raise PlatformError(
                    f"Grid5000 refused to extend job {job.uid}: {reason(e)}.", "The session log has the full error."
                ) from None
        self._status = self.status()
        return self._status

    def release(self) -> None:
        try:
            self.provider().destroy(wait=True)
        except PlatformError:
            raise
        except Exception as e:
            log.error("releasing %s failed:\n%s", self.name, detail(e))
            if from_testbed(e):
                hint = "Check the testbed's web interface and delete the job there."
            else:
                hint = f"The error came from this machine, not from {self.type}; the session log has the details."
            raise PlatformError(f"{self.type} could not release {self.name}: {reason(e)}.", hint) from None
        self._status = PlatformStatus(
            state="released", site=self._status.site, cluster=self._status.cluster, job_id=self._status.job_id
        )

    def attach(self, status: PlatformStatus) -> None:
        self._status = status

    @property
    def known_status(self) -> PlatformStatus:
        """The last state seen, without asking the testbed (for progress reports)."""
        return self._status

    # --- Grid5000 details ----------------------------------------------------------------------------------------

    def _jobs(self) -> list[Any]:
        return list(self.provider().driver.get_jobs())

    def _submit_and_wait(self, provider: Any, cancel: threading.Event, progress: ProgressFn) -> None:
        progress("submitting the job", 0.1)
        try:
            provider.async_init()
        except Exception as e:
            log.error("Grid5000 refused the reservation of %s:\n%s", self.name, detail(e))
            raise PlatformError(
                f"Grid5000 refused the reservation of {self.name}: {reason(e)}.",
                "Check the site, cluster, queue and walltime, or pick a reservation date.",
            ) from None
        jobs = list(provider.driver.jobs)
        started = time.monotonic()
        while True:
            for job in jobs:
                job.refresh()
            states = [job.state for job in jobs]
            first = jobs[0] if jobs else None
            if first is not None:
                self._status = self._oar_status(first)
            if "error" in states:
                raise PlatformError(
                    f"Grid5000 put the job of {self.name} in error.",
                    "See the job's page on the Grid5000 web interface.",
                )
            if jobs and all(s == "running" for s in states):
                return
            scheduled = max((float(getattr(j, "scheduled_at", 0) or 0) for j in jobs), default=0.0)
            when = f", scheduled in {max(0, int(scheduled - time.time()))} s" if scheduled else ""
            progress(
                f"job {self._status.job_id} {'/'.join(states) or 'submitted'}{when}",
                min(0.75, 0.1 + (time.monotonic() - started) / 3600),
            )
            if cancel.wait(self.poll_s):
                provider.destroy(wait=True)
                self._status = PlatformStatus(
                    state="released",
                    site=self._status.site,
                    cluster=self._status.cluster,
                    job_id=self._status.job_id,
                    message="cancelled while waiting",
                )
                raise ReservationCancelled(
                    f"reservation of {self.name} was cancelled; job {self._status.job_id} was deleted."
                )

    def _walltime_setting(self) -> int:
        from scaletui.config.units import parse_duration

        value = self.pf.settings.get("walltime")
        if isinstance(value, str) and ":" in value:
            parts = [int(p) for p in value.split(":")]
            return parts[0] * 3600 + parts[1] * 60 + (parts[2] if len(parts) > 2 else 0)
        try:
            return int(parse_duration(value)) if value is not None else 0
        except ValueError:
            return 0
