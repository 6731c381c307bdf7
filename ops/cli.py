"""`marketplace`: the one command line of the marketplace.

marketplace up                      migrate, seed when empty, run every service
marketplace migrate                 create/upgrade every service's schema and roles
                                    (and broker users, when MARKET_AMQP_PASSWORD is set)
marketplace broker-setup            each service's own RabbitMQ user and least-privilege permissions
marketplace seed                    load the demo data
marketplace create-operator --email E --password P
marketplace refresh-claims          drop expired sourcing claims from search now (daily in the worker)
marketplace recheck-listings        hold every public listing to the wording and currency rules now
                                    (daily in the worker, and when it starts)
marketplace payout-run              pay each maker's available balance over the minimum (for a scheduler)
marketplace dlq list SERVICE        what is in a service's parking queue
marketplace dlq replay SERVICE [--id MESSAGE_ID]
marketplace notifications parked    the emails given up on (one JSON object a line, with the reason)
marketplace notifications replay [--id DELIVERY_ID ...]   send parked emails again
marketplace run SERVICE --role api|worker|relay|all
marketplace preflight [--tests]     is PostgreSQL and RabbitMQ reachable (and, for the tests, RabbitMQ's
                                    management API)?
marketplace mail serve              the development SMTP server keeping every message (`up` runs it)
marketplace mail list [--to EMAIL] [--json]   the kept messages with their links
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from ops import devmail, operations
from ops.services import SERVICE_NAMES, definition
from shared.errors import DomainError, ProblemError
from shared.service import ROLES, run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="marketplace", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="migrate, seed when empty, run every service")
    commands.add_parser("migrate", help="create or upgrade every service's schema")
    commands.add_parser("broker-setup", help="each service's own RabbitMQ user and permissions")
    commands.add_parser("seed", help="load the demo data")
    preflight = commands.add_parser("preflight", help="check PostgreSQL and RabbitMQ are reachable")
    preflight.add_argument(
        "--tests", action="store_true", help="and RabbitMQ's management API, which the tests use"
    )
    operator = commands.add_parser("create-operator", help="create an operator account")
    operator.add_argument("--email", required=True)
    operator.add_argument("--password", required=True)
    commands.add_parser("refresh-claims", help="drop expired sourcing claims from search now")
    commands.add_parser(
        "recheck-listings", help="hold every public listing to the wording and currency rules now"
    )
    commands.add_parser("payout-run", help="pay each maker's available balance over the minimum")
    dlq = commands.add_parser("dlq", help="inspect and replay parking queues")
    dlq_commands = dlq.add_subparsers(dest="dlq_command", required=True)
    dlq_list = dlq_commands.add_parser("list")
    dlq_list.add_argument("service", choices=SERVICE_NAMES)
    dlq_replay = dlq_commands.add_parser("replay")
    dlq_replay.add_argument("service", choices=SERVICE_NAMES)
    dlq_replay.add_argument("--id", dest="message_id", help="replay only this message id")
    emails = commands.add_parser("notifications", help="parked emails of the notifications service")
    email_commands = emails.add_subparsers(dest="notifications_command", required=True)
    email_commands.add_parser("parked")
    email_replay = email_commands.add_parser("replay")
    email_replay.add_argument("--id", dest="ids", action="append", default=[], help="only this delivery")
    mail = commands.add_parser("mail", help="the development mail server and what it kept")
    mail_commands = mail.add_subparsers(dest="mail_command", required=True)
    mail_commands.add_parser("serve")
    mail_list = mail_commands.add_parser("list")
    mail_list.add_argument("--to", help="only the messages to this address")
    mail_list.add_argument("--json", action="store_true", help="one JSON object a line")
    run_one = commands.add_parser("run", help="run one service")
    run_one.add_argument("service", choices=SERVICE_NAMES)
    run_one.add_argument("--role", choices=ROLES, default="all")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        _dispatch(args)
    except (DomainError, ProblemError) as error:  # refused input, e.g. a weak operator password
        raise SystemExit(f"marketplace {args.command}: {error.detail}") from None


def _dispatch(args: argparse.Namespace) -> None:
    if args.command == "run":
        run(definition(args.service), args.role)
    elif args.command == "up":
        operations.up()
    elif args.command == "migrate":
        asyncio.run(operations.migrate_all())
    elif args.command == "broker-setup":
        for user in asyncio.run(operations.broker_setup_all()):
            print(f"broker user {user}: permissions set")
    elif args.command == "seed":
        asyncio.run(operations.seed())
    elif args.command == "preflight":
        operations.preflight_or_exit(tests=args.tests)
    elif args.command == "create-operator":
        asyncio.run(operations.create_operator(args.email, args.password))
    elif args.command == "refresh-claims":
        count = asyncio.run(operations.refresh_claims())
        print(f"refreshed the search rows of {count} listing(s)")
    elif args.command == "recheck-listings":
        count = asyncio.run(operations.recheck_listings())
        print(f"hid, showed or re-hid {count} public listing(s)")
    elif args.command == "payout-run":
        payout_run = asyncio.run(operations.payout_run())
        for payout in payout_run["payouts"]:
            print(json.dumps(payout))
        print(f"payout run {payout_run['id']}: {len(payout_run['payouts'])} payout(s)", file=sys.stderr)
    elif args.command == "dlq" and args.dlq_command == "list":
        for entry in asyncio.run(operations.dlq_list(args.service)):
            print(json.dumps(entry))
    elif args.command == "dlq" and args.dlq_command == "replay":
        count = asyncio.run(operations.dlq_replay(args.service, args.message_id))
        print(f"replayed {count} message(s) into {args.service}")
    elif args.command == "notifications" and args.notifications_command == "parked":
        for entry in asyncio.run(operations.parked_emails()):
            print(json.dumps(entry, default=str))
    elif args.command == "notifications" and args.notifications_command == "replay":
        count = asyncio.run(operations.replay_emails(args.ids))
        print(f"{count} parked email(s) due again")
    elif args.command == "mail" and args.mail_command == "serve":
        host, port = devmail.smtp_address()
        asyncio.run(devmail.serve(host, port, devmail.MailFolder(devmail.mail_dir())))
    elif args.command == "mail" and args.mail_command == "list":
        folder = devmail.MailFolder(devmail.mail_dir())
        kept = list(folder.messages(args.to))
        for mail in kept:
            print(json.dumps(mail.as_json()) if args.json else devmail.describe(mail))
        if not kept:  # said apart from the listing, so `--json` output stays one object a line
            print(f"no mail{f' to {args.to}' if args.to else ''} kept in {folder.directory}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
