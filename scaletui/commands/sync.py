"""`scaletui sync [USER@]HOST:PATH [DEST]`: fetch results from a testbed frontend or node (Scalehub's `shub sync`)."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "sync",
        help="fetch results from a remote frontend or node over SSH",
        description="Copy a results directory from where the run happened into DEST (default: the results "
        "directory of conf/scaletui.toml). Uses rsync over ssh when rsync is installed, else scp. SOURCE is "
        "[user@]host:path, or a local path to copy without SSH.",
    )
    parser.add_argument("source", metavar="SOURCE", help="[user@]host:path/to/results (or a local path)")
    parser.add_argument("dest", metavar="DEST", nargs="?", help="local directory to copy into")
    parser.add_argument("--port", type=int, help="SSH port")
    parser.add_argument("--identity", "-i", metavar="KEY", help="SSH private key file")
    parser.add_argument("--jump", "-J", metavar="HOST", help="jump host, e.g. access.grid5000.fr")
    parser.add_argument("--transport", choices=("rsync", "scp"), help="force a transfer tool")
    parser.add_argument("--timeout", type=int, default=10, help="SSH connect timeout in seconds (default 10)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    from scaletui.config.loader import load_app_config
    from scaletui.results.sync import SshOptions, sync_results

    dest = args.dest or load_app_config(getattr(args, "config", None)).paths.results
    extra = ("-J", args.jump) if args.jump else ()
    ssh = SshOptions(port=args.port, identity=args.identity, connect_timeout_s=args.timeout, extra=extra)
    print(sync_results(args.source, dest, ssh=ssh, transport=args.transport))
    return 0
