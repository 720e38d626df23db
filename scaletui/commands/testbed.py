"""Scalehub's verbs over the same engine calls as the TUI: provision, destroy, deploy, delete, reload, tokens.

`provision PLATFORM...` (or `--all`, never by default: each may be a real booking) reserves each platform (and,
like Scalehub, runs the infrastructure stage unless --no-setup), goes on past one that fails and, for several, ends
with what became of each;
`destroy [PLATFORM]` releases every reservation still holding machines or a job, whatever state it was left in, and
drops those that failed before anything was made on their testbed;
`extend PLATFORM DURATION` adds walltime; `deploy|delete|reload APP` runs one application's playbook, or a stage.
An error already printed by the engine (a failed reservation) is not printed a second time; when anything fails
after the machines are held, the verb says they stay reserved and how to release them.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from scaletui.errors import NotConfirmed, UserError

if TYPE_CHECKING:
    from scaletui.engine import Engine


def add_parser(sub: Any) -> None:
    p = sub.add_parser("provision", help="reserve a platform of conf/platforms and run its infrastructure stage")
    p.add_argument("platforms", nargs="*", help="names of conf/platforms/<name>.toml (required, or --all)")
    p.add_argument(
        "--all",
        action="store_true",
        help="every file in conf/platforms but local and simulator (each may book a testbed); a platform that "
        "fails does not stop the others, and a summary says which were reserved, failed or not tried",
    )
    p.add_argument("--no-setup", action="store_true", help="reserve only; skip the infrastructure stage")
    p.set_defaults(func=provision)
    p = sub.add_parser("extend", help="add walltime to a reservation (Grid5000)")
    p.add_argument("platform")
    p.add_argument("duration", help='how much more, e.g. "1h", "30m", "01:30:00"')
    p.set_defaults(func=extend)
    p = sub.add_parser(
        "destroy",
        help="release reserved platforms (all when none is named, and then also stop a local Flink cluster a killed "
        "scaletui left running); a reservation that failed before anything was asked of its testbed (on Grid5000: "
        "before its job was made) is dropped from the session without asking the testbed",
    )
    p.add_argument("platforms", nargs="*")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(func=destroy)
    for verb, what in (("deploy", "deploy"), ("delete", "delete"), ("reload", "delete then deploy")):
        p = sub.add_parser(verb, help=f"{what} an application (flink, kafka...) or run a stage (orchestration...)")
        p.add_argument("app", help="an application of playbooks/application/, or a stage name")
        p.set_defaults(func=stage_verb, action=verb)
    p = sub.add_parser("tokens", help="print the deployed services' endpoints and access tokens (never saved)")
    p.add_argument("--namespace", default="scaletui")
    p.set_defaults(func=tokens)
    p = sub.add_parser("experiment", help="experiment actions (Scalehub's `shub experiment start`)")
    p.add_argument("what", choices=["start"])
    p.add_argument("file", help="an experiment TOML, as --script takes")
    p.add_argument("--out", help="results root (default: results/)")
    p.set_defaults(func=experiment)


def _engine(args: argparse.Namespace, existing: bool = True) -> Engine:
    """The session's engine with progress printed as lines; use it in a `with` block (closed on the way out).
    `existing`: a verb that acts on what the session holds refuses a session that does not exist (a typo of
    --session said "nothing to release" and left an empty session behind); only provision starts one."""
    from scaletui.config.loader import load_app_config
    from scaletui.engine import Engine
    from scaletui.headless.printer import ProgressPrinter

    owner = f"scaletui {getattr(args, 'verb', None) or 'command'}"
    engine = Engine(load_app_config(args.config), args.session, owner=owner, existing=existing)
    engine.bus.subscribe(ProgressPrinter())
    return engine


def provision(args: argparse.Namespace) -> int:
    """Never every platform by default: each may be a real booking on a testbed. One platform failing does not
    stop the others; with several, the last lines say what became of each, and the first failure's code is returned."""
    if bool(args.platforms) == bool(args.all):
        print("scaletui: name the platforms to reserve, or give --all (not both).", file=sys.stderr)
        print("  --all reserves every file in conf/platforms but local and simulator: several testbed bookings.",
              file=sys.stderr)  # fmt: skip
        return 2
    with _engine(args, existing=False) as engine:
        names = args.platforms or [n for n in engine.testbed.platforms() if n not in ("local", "simulator")]
        outcomes: dict[str, str] = {}
        code = 0
        try:
            for name in names:
                outcomes[name] = "stopped while being reserved"
                outcomes[name], failed = _provision_one(engine, name, args.no_setup)
                code = code or failed
        finally:
            if len(names) > 1:
                _summary(names, outcomes)
        return code


def _provision_one(engine: Engine, name: str, no_setup: bool) -> tuple[str, int]:
    """Reserve one platform (and set it up): what became of it, for the summary, and its exit code (0 when it
    worked; a failure is said at once)."""
    step = "reservation"
    try:
        print(engine.testbed.reserve(name))
        if no_setup:
            return "reserved", 0
        step = "infrastructure stage"
        print(engine.testbed.run_checked("infrastructure"))
        return "reserved and set up", 0
    except UserError as e:
        return f"{step} failed: {e.message}", _failed(engine, name, e)


def _summary(names: list[str], outcomes: dict[str, str]) -> None:
    """One line per platform asked for, so none is left unsaid when an earlier one failed or Ctrl-C stopped it."""
    width = max(len(n) for n in names)
    print("provision:")
    for name in names:
        print(f"  {name:<{width}}  {outcomes.get(name, 'not tried')}")


def _failed(engine: Engine, name: str, error: UserError) -> int:
    """Say the error unless the engine did, then what stays booked."""
    from scaletui.engine.reservations import was_reported

    if not was_reported(error):
        print(f"scaletui: {error.message}", file=sys.stderr)
        if error.hint:
            print(f"  {error.hint}", file=sys.stderr)
    kept = engine.testbed.kept(name)
    if kept:
        print(f"scaletui: {kept}", file=sys.stderr)
    return error.exit_code


def extend(args: argparse.Namespace) -> int:
    from scaletui.engine.testbed import extra_time

    seconds = extra_time(args.duration)  # a bad duration is refused before the session opens
    with _engine(args) as engine:
        print(engine.testbed.extend(args.platform, seconds))
        return 0


def destroy(args: argparse.Namespace) -> int:
    """With no platform named, also the local Flink cluster a killed scaletui left running (an SSH session that
    dropped the app), which the app's `S` stops: without this a headless user had no way to stop it."""
    with _engine(args) as engine:
        names = args.platforms or engine.testbed.holding() + engine.testbed.job_less()
        leftover = not args.platforms and engine.leftover_cluster()
        if not names and not leftover:
            print("No reservation to release and no cluster left running.")
            return 0
        what = names + (["the Flink cluster a crashed scaletui left running"] if leftover else [])
        if not args.yes:
            if not sys.stdin.isatty():
                raise NotConfirmed(
                    f"would release {', '.join(what)}, but there is no terminal to ask: nothing was released.",
                    "Add --yes to release without asking.",
                )
            if input(f"Release {', '.join(what)}? [y/N] ").strip().lower() not in ("y", "yes"):
                print("Kept.")
                return 0
        for name in names:
            print(engine.testbed.release(name))
        if leftover:
            print(engine.stop_leftover_cluster())
        return 0


def stage_verb(args: argparse.Namespace) -> int:
    from scaletui.stages.catalog import STAGES

    with _engine(args) as engine:
        step = args.app if args.app in STAGES else f"app:{args.app}:{args.action}"
        if args.app in STAGES and args.action != "deploy":
            print(f"scaletui: {args.action} applies to applications; a stage only runs (deploy).", file=sys.stderr)
            return 2
        print(engine.testbed.run_checked(step))
        return 0


def tokens(args: argparse.Namespace) -> int:
    from scaletui.stages.services import read_services

    with _engine(args) as engine:
        for s in read_services(engine.kubeconfig(), args.namespace):
            cred = f"  user {s.username}" if s.username else ""
            token = f"\n    token {s.token}" if s.token else ""
            print(f"{s.name:<22} {s.url}{cred}{token}" + (f"\n    {s.note}" if s.note else ""))
        return 0


def experiment(args: argparse.Namespace) -> int:
    from scaletui.headless.runner import run_experiment_file

    return run_experiment_file(args.file, config_file=args.config, session=args.session, out=args.out)
