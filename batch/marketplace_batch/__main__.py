"""Command line: ``python -m marketplace_batch <command>``: indexer, pageviews, thumbnails,
alerts, recommendations or reindex."""

from __future__ import annotations

import argparse
import logging
import logging.config
import sys

from mpcommon.logging import logging_config

from .lifecycle import ShutdownFlag
from .settings import Settings

logger = logging.getLogger("marketplace_batch")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m marketplace_batch", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("indexer", help="listing events -> search index (runs until SIGTERM)")
    commands.add_parser(
        "pageviews", help="page-view events -> access log, view counts (runs until SIGTERM)"
    )
    commands.add_parser(
        "thumbnails", help="photo events -> WebP thumbnails stored by models-api (until SIGTERM)"
    )
    commands.add_parser(
        "alerts",
        help="saved searches -> percolator index; new listings -> matches to models-api "
        "(until SIGTERM)",
    )
    recommendations = commands.add_parser(
        "recommendations", help="co-view recommendations with PySpark -> models-api"
    )
    recommendations.add_argument(
        "--every",
        type=float,
        metavar="SECONDS",
        help="run periodically, sleeping SECONDS between runs (default: run once)",
    )
    commands.add_parser("reindex", help="rebuild the search index from models-api, swap alias")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    logging.config.dictConfig(logging_config("batch", settings.log_level))
    # PySpark's gateway chatter is not an event of ours.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    shutdown = ShutdownFlag().install()
    try:
        if args.command == "indexer":
            from . import indexer

            indexer.run(settings, shutdown)
        elif args.command == "pageviews":
            from . import pageviews

            pageviews.run(settings, shutdown)
        elif args.command == "thumbnails":
            from . import thumbnails

            thumbnails.run(settings, shutdown)
        elif args.command == "alerts":
            from . import alerts

            alerts.run(settings, shutdown)
        elif args.command == "recommendations":
            from . import recommendations

            if args.every is not None and args.every <= 0:
                raise SystemExit("--every must be positive")
            return recommendations.run(settings, shutdown, args.every)
        elif args.command == "reindex":
            from . import reindex

            return reindex.run(settings, shutdown)
    except Exception:
        logger.exception("command failed", extra={"command": args.command})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
