"""The access log (``user_id<TAB>listing_id`` lines) and the page-view consumer's state.

Format: one view per line, ``<user_id>\\t<listing_id>\\n``; an anonymous view has
``-`` as user id (kept for completeness, skipped by the co-view job).

Exactly-once appends across crashes and replays: a small JSON state file next to the
log (``<log>.state.json``, replaced atomically) records, per topic-partition, the last
offset appended and the log's size after that append. Before appending, records at or
below the recorded offset are skipped and any bytes beyond the recorded size (an
append whose state was never written, i.e. a crash in between) are cut off, since
those records are about to be written again. One writer per log file.

The same file carries the view-fold progress (see ``pageviews``): the last offset per
partition folded into models-api and the batch being folded (write-ahead), so a replay
re-sends exactly the same batch id and models-api can recognise it.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

ANONYMOUS = "-"


def partition_key(topic: str, partition: int) -> str:
    return f"{topic}:{partition}"


def access_log_line(user_id: int | None, listing_id: int) -> str:
    return f"{ANONYMOUS if user_id is None else user_id}\t{listing_id}\n"


@dataclass
class PageViewState:
    log_size: int = 0
    log_offsets: dict[str, int] = field(default_factory=dict)
    views_offsets: dict[str, int] = field(default_factory=dict)
    # {"batch_id": str, "ranges": {partition_key: [first, last]}} while a fold is in flight
    views_pending: dict | None = None
    # Bumped when a topic was recreated (offsets went backwards), so new batch ids
    # never collide with ones models-api already applied.
    epoch: int = 0

    @classmethod
    def load(cls, path: Path) -> PageViewState:
        try:
            raw = json.loads(path.read_text())
        except FileNotFoundError:
            return cls()
        return cls(
            log_size=int(raw.get("log_size", 0)),
            log_offsets={k: int(v) for k, v in raw.get("log_offsets", {}).items()},
            views_offsets={k: int(v) for k, v in raw.get("views_offsets", {}).items()},
            views_pending=raw.get("views_pending"),
            epoch=int(raw.get("epoch", 0)),
        )

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        data = {
            "log_size": self.log_size,
            "log_offsets": self.log_offsets,
            "views_offsets": self.views_offsets,
            "views_pending": self.views_pending,
            "epoch": self.epoch,
        }
        with open(tmp, "w") as handle:
            json.dump(data, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)


class AccessLog:
    """Appends page views to the access log exactly once per Kafka record."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.state_path = self.path.with_name(self.path.name + ".state.json")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.state = PageViewState.load(self.state_path)

    def save_state(self) -> None:
        self.state.save(self.state_path)

    def append(self, views: list[tuple[str, int, int | None, int]]) -> int:
        """Append ``(partition_key, offset, user_id, listing_id)`` views not yet in the log.

        Returns the number of lines written.
        """
        fresh = [view for view in views if view[1] > self.state.log_offsets.get(view[0], -1)]
        size = self.path.stat().st_size if self.path.exists() else 0
        if size > self.state.log_size:
            # A previous append reached the disk but its state did not: drop it, the
            # same records are being appended again now.
            logger.warning(
                "truncating unacknowledged access-log tail",
                extra={"path": str(self.path), "bytes": size - self.state.log_size},
            )
            with open(self.path, "r+b") as handle:
                handle.truncate(self.state.log_size)
        elif size < self.state.log_size:
            # Rotated or truncated by an operator: start counting from what is there.
            self.state.log_size = size
        if fresh:
            payload = "".join(access_log_line(user, listing) for _, _, user, listing in fresh)
            with open(self.path, "ab") as handle:
                handle.write(payload.encode())
                handle.flush()
                os.fsync(handle.fileno())
            self.state.log_size = self.path.stat().st_size
        for key, offset, _, _ in views:
            self.state.log_offsets[key] = max(self.state.log_offsets.get(key, -1), offset)
        self.save_state()
        return len(fresh)
