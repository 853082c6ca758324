"""The price drops' Huey tasks (``manage.py run_huey`` imports every app's ``tasks``):
the fan-out of one drop after its commit, and the sweep that catches up on lost ones."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from favourites import services


@db_task()
def fan_out_price_drop_task(drop_id: int) -> None:
    services.fan_out_price_drop(drop_id)


# Every minute: the safety net for drops whose task never reached the queue or was
# lost (the stack's Redis evicts under memory pressure); see notifications.delivery.
@db_periodic_task(crontab(minute="*"))
def sweep_price_drops() -> int:
    return services.sweep_price_drops()
