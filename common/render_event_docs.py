# ruff: noqa: E501  (markdown table rows)
"""Render docs/events.md from mpcommon.events (the one home of the event contract).

    .venv/bin/python common/render_event_docs.py > docs/events.md

A test checks the committed file is current, so the document cannot drift from the code.
"""

import json

from mpcommon import events

INTRO = f"""# Events (Kafka)

Generated from `common/mpcommon/events.py` by `common/render_event_docs.py`; edit the
code, then regenerate. Schema version: `"v": {events.SCHEMA_VERSION}`.

| topic | key | producer | consumers | event types |
|---|---|---|---|---|
| `{events.TOPIC_LISTINGS}` | listing id | models-api outbox relay | batch indexer, experience-api cache invalidator | `{events.LISTING_CREATED}`, `{events.LISTING_UPDATED}`, `{events.LISTING_DELETED}` |
| `{events.TOPIC_PAGE_VIEWS}` | listing id | experience-api (listing detail) | batch page-view counter | `{events.PAGE_VIEWED}` |
| `{events.TOPIC_PHOTOS}` | listing id | models-api outbox relay | batch thumbnail worker | `{events.PHOTO_UPLOADED}` |
| `{events.TOPIC_ORDERS}` | order id | models-api outbox relay | notifications (none yet) | {", ".join(f"`{t}`" for t in events.ORDER_EVENT_TYPES)} |
| `{events.TOPIC_MESSAGES}` | thread id | models-api outbox relay | notifications (none yet) | `{events.MESSAGE_SENT}` |
| `{events.TOPIC_SAVED_SEARCHES}` | saved search id | models-api outbox relay | batch alerts worker (percolator index) | `{events.SAVED_SEARCH_UPSERTED}`, `{events.SAVED_SEARCH_DELETED}` |
| `<topic>{events.DEAD_LETTER_SUFFIX}` | as consumed | consumers | people (inspect, fix, replay) | the raw poison message |

Rules:
- Listing events carry the whole listing document (null only for deletes) and the
  listing's `version`, which increases on every change. Consumers apply an event only
  if its version is newer than what they hold, so replays and reordering are harmless.
- Page views are counted at least once; the consumer dedupes by offset ranges
  (`batch_id`) when folding counts into models-api.
- A message that fails its schema goes to the dead-letter topic with a log line; the
  consumer carries on.
- Adding an optional field keeps `v: 1`; removing or changing a field's meaning needs
  `v: 2` and consumers that accept both during the rollout.
"""


def main() -> None:
    print(INTRO)
    for title, schema in (
        ("Listing event", events.LISTING_EVENT_SCHEMA),
        ("Page-view event", events.PAGE_VIEW_EVENT_SCHEMA),
        ("Photo event", events.PHOTO_EVENT_SCHEMA),
        ("Order event", events.ORDER_EVENT_SCHEMA),
        ("Message event", events.MESSAGE_EVENT_SCHEMA),
    ):
        print(f"## {title}\n\n```json\n{json.dumps(schema, indent=2)}\n```\n")


if __name__ == "__main__":
    main()
