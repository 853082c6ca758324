"""``python manage.py relay_outbox``: the long-running outbox relay (run by supervisord)."""

from __future__ import annotations

import logging
import signal

from django.core.management.base import BaseCommand, CommandError

from outbox.relay import Relay, publish_batch


class Command(BaseCommand):
    help = "Publish outbox events to Kafka in order, retrying while Kafka is down."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None)
        parser.add_argument(
            "--poll-seconds",
            type=float,
            default=None,
            help="Fallback poll interval (LISTEN/NOTIFY wakes the relay at once).",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Publish what is pending now, then exit (for scripts and debugging).",
        )

    def handle(self, *args, batch_size=None, poll_seconds=None, once=False, **options):
        # kafka-python logs every failed connection attempt at ERROR; while the broker is
        # down the relay reports each failed round itself (error, backlog, next retry).
        logging.getLogger("kafka").setLevel(logging.CRITICAL)
        relay = Relay(batch_size=batch_size, poll_seconds=poll_seconds)
        if once:
            self._drain(relay)
            return
        # supervisord stops with SIGTERM: finish the current batch, then exit cleanly.
        signal.signal(signal.SIGTERM, lambda *_: relay.stop())
        signal.signal(signal.SIGINT, lambda *_: relay.stop())
        relay.run()

    def _drain(self, relay: Relay) -> None:
        producer = relay.producer_factory()
        try:
            total = 0
            while True:
                result = publish_batch(producer, batch_size=relay.batch_size)
                total += result.published_count
                if result.failed_id is not None:
                    raise CommandError(
                        f"publishing failed at row {result.failed_id}: {result.error}"
                    )
                if result.claimed < relay.batch_size:
                    break
            self.stdout.write(f"published {total} outbox events")
        finally:
            producer.close(timeout=5)
