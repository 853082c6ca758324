"""The rules of orders and buyer-seller messages, in one place for every tier.

models-api enforces them (database constraints, services); the experience API and the
web pages read the same states, actions and limits. Plain values only.
"""

from __future__ import annotations

# Order states, in the order a happy path goes through them.
ORDER_REQUESTED = "requested"
ORDER_ACCEPTED = "accepted"
ORDER_DECLINED = "declined"
ORDER_COMPLETED = "completed"
ORDER_CANCELLED = "cancelled"
ORDER_STATES: tuple[tuple[str, str], ...] = (
    (ORDER_REQUESTED, "Requested"),
    (ORDER_ACCEPTED, "Accepted"),
    (ORDER_DECLINED, "Declined"),
    (ORDER_COMPLETED, "Completed"),
    (ORDER_CANCELLED, "Cancelled"),
)
ORDER_STATE_VALUES = tuple(value for value, _ in ORDER_STATES)
ORDER_STATE_LABELS = dict(ORDER_STATES)
OPEN_ORDER_STATES = (ORDER_REQUESTED, ORDER_ACCEPTED)

ACTION_ACCEPT = "accept"
ACTION_DECLINE = "decline"
ACTION_COMPLETE = "complete"
ACTION_CANCEL = "cancel"
ORDER_ACTIONS = (ACTION_ACCEPT, ACTION_DECLINE, ACTION_COMPLETE, ACTION_CANCEL)
# The two parties of an order (the `role` filter of the order lists).
ORDER_ROLES = ("buyer", "seller")

# (state, action) -> (who may, next state). "buyer", "seller" or "either".
ORDER_TRANSITIONS: dict[tuple[str, str], tuple[str, str]] = {
    (ORDER_REQUESTED, ACTION_ACCEPT): ("seller", ORDER_ACCEPTED),
    (ORDER_REQUESTED, ACTION_DECLINE): ("seller", ORDER_DECLINED),
    (ORDER_REQUESTED, ACTION_CANCEL): ("buyer", ORDER_CANCELLED),
    (ORDER_ACCEPTED, ACTION_COMPLETE): ("either", ORDER_COMPLETED),
    (ORDER_ACCEPTED, ACTION_CANCEL): ("either", ORDER_CANCELLED),
}
ACTION_LABELS = {
    ACTION_ACCEPT: "Accept",
    ACTION_DECLINE: "Decline",
    ACTION_COMPLETE: "Mark completed",
    ACTION_CANCEL: "Cancel order",
}


def allowed_actions(state: str, role: str) -> list[str]:
    """The actions ``role`` ("buyer" or "seller") may take on an order in ``state``."""
    return [
        action
        for (from_state, action), (who, _) in ORDER_TRANSITIONS.items()
        if from_state == state and who in (role, "either")
    ]


ORDER_MESSAGE_MAX_LENGTH = 1000
MESSAGE_BODY_MAX_LENGTH = 2000
CLIENT_TOKEN_MAX_LENGTH = 64  # the hidden per-form token that makes double submits harmless
MESSAGES_PER_THREAD_PAGE = 100

NO_PAYMENT_NOTICE = (
    "No payment is taken on this site: buyer and seller agree on payment and hand-over "
    "between themselves."
)
