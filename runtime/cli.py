"""The ``ledger`` command: one entry point for schema, verification, demo data and serving."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import uvicorn

from api.console.yearly_pdf import yearly_pdf
from domain.errors import NotFound
from projections import VIEW_TABLES, yearly
from projections.db import csv_chunks
from runtime import projection_cli, scheduler_cli
from runtime.demo import load_demo
from runtime.logs import configure_logging
from runtime.settings import Settings
from runtime.wiring import (
    anchor,
    is_migrated,
    key_status,
    migrate,
    open_ledger,
    open_runner,
    open_view_db,
    rotate_master_key,
    verify,
)
from store.tokens import TokenError, TokenStore


def _now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise SystemExit("--now needs a time-zone offset, e.g. 2026-11-26T10:00:00+01:00")
    return parsed


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    for warning in migrate(settings, app_role=args.app_role):
        print(warning, file=sys.stderr)
    print(f"schema ready on {settings.backend}")
    return 0


def cmd_verify(settings: Settings, _: argparse.Namespace) -> int:
    """Prints the chain's state and head; exit 1 when it is broken or does not hold against the
    latest anchor (``LEDGER_ANCHOR_PATH``)."""
    checked = verify(settings)
    result, anchor_ = checked.verification, checked.anchor
    print(
        json.dumps(
            {
                "ok": checked.ok,
                "verified_through": result.verified_through,
                "first_bad_position": result.first_bad_position,
                "events_checked": result.events_checked,
                "head": {
                    "position": result.verified_through,
                    "hash": result.head_hash.hex() if result.head_hash else None,
                },
                "anchor": None if anchor_ is None else asdict(anchor_),
                "anchor_problem": checked.anchor_problem,
            }
        )
    )
    return 0 if checked.ok else 1


def cmd_anchor(settings: Settings, _: argparse.Namespace) -> int:
    """Writes the chain's head, signed, to ``LEDGER_ANCHOR_PATH`` (outside the database)."""
    if settings.anchor_path is None:
        print("no anchor file: set LEDGER_ANCHOR_PATH and LEDGER_ANCHOR_SECRET", file=sys.stderr)
        return 2
    written = anchor(settings, datetime.now(UTC))
    print(json.dumps(None if written is None else asdict(written)))
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    ledger = open_ledger(settings)
    try:
        summary = load_demo(ledger, requests=args.requests, seed=args.seed, now=_now(args.now))
    finally:
        ledger.close()
    print(json.dumps(summary))
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    print(f"OpenAPI docs: http://{args.host}:{args.port}/docs", flush=True)
    print(
        "First token: .venv/bin/ledger token create --role admin --name first-admin "
        "(then POST /v1/structures, and tokens with --role adviser --structure ID)",
        flush=True,
    )
    uvicorn.run(
        "runtime.asgi:app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        access_log=False,
    )
    return 0


def cmd_token(settings: Settings, args: argparse.Namespace) -> int:
    """``token create`` prints the token once, alone on the last line; ``token revoke`` ends it;
    ``token list`` shows every token's name, role, structures and dates (never a token)."""
    db = open_view_db(settings)
    tokens = TokenStore(db)
    try:
        if args.action == "list":
            for row in tokens.listing():
                print(json.dumps(row))
            return 0
        if args.action == "revoke":
            count = tokens.revoke(args.name, datetime.now(UTC))
            print(f"revoked {count} token(s) named {args.name}")
            return 0 if count else 1
        ledger = open_ledger(settings, writer=False)
        try:
            for code in args.structure:
                ledger.structures.get(code)
        except NotFound:
            print(f"no structure {code}: register it first (POST /v1/structures)", file=sys.stderr)
            return 2
        finally:
            ledger.close()
        lifetime = timedelta(days=args.expires_in)
        token = tokens.create(args.name, args.role, args.structure, datetime.now(UTC), lifetime)
    except TokenError as error:
        print(str(error), file=sys.stderr)
        return 2
    finally:
        db.close()
    print(f"token for {args.name} ({args.role}); shown once, keep it secret:")
    print(token)
    return 0


def cmd_keys(settings: Settings, args: argparse.Namespace) -> int:
    """``keys status``: how many envelope keys each master wrapped; ``keys rotate``: every key
    re-wrapped under the next master (docs/operations.md, Keys)."""
    if args.action == "status":
        print(json.dumps(key_status(settings), sort_keys=True))
        return 0
    try:
        rotation = rotate_master_key(settings)
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 2
    print(
        json.dumps(
            {
                "rewrapped": rotation.rewrapped,
                "scrubbed": rotation.scrubbed,
                "master_file": None if rotation.master_file is None else str(rotation.master_file),
            }
        )
    )
    if rotation.master_file is None:
        print(
            "now make LEDGER_MASTER_KEY the value of LEDGER_MASTER_KEY_NEXT, remove "
            "LEDGER_MASTER_KEY_NEXT, and restart every process",
            file=sys.stderr,
        )
    return 0


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """``report yearly``: the views caught up first, then the year's report (every structure and
    the breaches) as JSON, CSV or PDF, to standard output or ``--output``."""
    runner, parts = open_runner(settings)
    try:
        runner.run_until_idle()
        with runner.db.reading(VIEW_TABLES) as tx:
            report = yearly.yearly_report(tx, args.year, _now(args.now))
    finally:
        runner.db.close()
        parts.close()
    if args.format == "json":
        body: bytes = (json.dumps(report, indent=2, ensure_ascii=False) + "\n").encode()
    elif args.format == "csv":
        body = "".join(csv_chunks(yearly.csv_lines(report))).encode()
    else:
        body = yearly_pdf(report, _now(args.now))
    if args.output is None:
        sys.stdout.buffer.write(body)
    else:
        Path(args.output).write_bytes(body)
        print(f"yearly report {args.year} written to {args.output}", file=sys.stderr)
    return 0


def cmd_projections(settings: Settings, args: argparse.Namespace) -> int:
    return projection_cli.run_command(settings, args)


def cmd_scheduler(settings: Settings, args: argparse.Namespace) -> int:
    return scheduler_cli.run_command(settings, args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ledger", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    migrate = commands.add_parser(
        "migrate", help="create the schema (once, before any worker starts)"
    )
    migrate.add_argument(
        "--app-role", help="PostgreSQL: grant this role the application's privileges"
    )
    commands.add_parser(
        "verify", help="recompute the hash chain; exit 1 naming the first bad position"
    )
    commands.add_parser("anchor", help="write the chain's head, signed, outside the database")
    demo = commands.add_parser("demo", help="load a synthetic department")
    demo.add_argument("--requests", type=int, default=500)
    demo.add_argument("--seed", type=int, default=82)
    demo.add_argument("--now", help="ISO instant with offset to load the demo as of (default: now)")
    report = commands.add_parser("report", help="reports read from the views")
    reports = report.add_subparsers(dest="report", required=True)
    yearly_ = reports.add_parser("yearly", help="the year's indicators and steering report")
    yearly_.add_argument("--year", type=int, required=True)
    yearly_.add_argument("--format", choices=["json", "csv", "pdf"], default="json")
    yearly_.add_argument("--output", help="file to write (default: standard output)")
    yearly_.add_argument("--now", help="ISO instant with offset the report is as of")
    projection_cli.add_commands(commands)
    scheduler_cli.add_commands(commands)
    token = commands.add_parser("token", help="create, list or revoke API bearer tokens")
    actions = token.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="print a new token once (stored hashed)")
    create.add_argument("--role", required=True, choices=["adviser", "supervisor", "dpo", "admin"])
    create.add_argument("--structure", action="append", default=[], help="repeatable")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--expires-in", type=int, default=365, metavar="DAYS", help="lifetime (default 365)"
    )
    actions.add_parser("list", help="every token: name, role, structures, dates (never a token)")
    revoke = actions.add_parser("revoke", help="revoke the active tokens of a name")
    revoke.add_argument("name")
    keys = commands.add_parser("keys", help="the master key the envelope keys are wrapped under")
    key_actions = keys.add_subparsers(dest="action", required=True)
    key_actions.add_parser("status", help="how many envelope keys each master key wrapped")
    key_actions.add_parser(
        "rotate", help="re-wrap every envelope key under the next master key, in one transaction"
    )
    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    return parser


COMMANDS = {
    "migrate": cmd_migrate,
    "verify": cmd_verify,
    "anchor": cmd_anchor,
    "demo": cmd_demo,
    "serve": cmd_serve,
    "projections": cmd_projections,
    "scheduler": cmd_scheduler,
    "report": cmd_report,
    "token": cmd_token,
    "keys": cmd_keys,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level)
    if args.command != "migrate" and not is_migrated(settings):
        print(
            f"the {settings.backend} store has no ledger schema yet: run `ledger migrate` first",
            file=sys.stderr,
        )
        return 2
    return COMMANDS[args.command](settings, args)


if __name__ == "__main__":
    sys.exit(main())
