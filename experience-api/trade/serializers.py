"""Input validation and documented output shapes of the order and message endpoints.

Input is checked here first with the shared rules (mpcommon.trade_rules and the strict
JSON types of mpcommon.api_fields): a cheap 400 with per-field messages, no remote
call. models-api stays the authority; its 400/403/404/409 are passed through. The
output serializers only document models-api's shapes (docs/selling-and-buying.md),
which are returned as they come.
"""

from rest_framework import serializers

from listings.serializers import PhotoOutput
from mpcommon import trade_rules
from mpcommon.api_fields import IdField, StrictCharField
from mpcommon.listing_rules import STATUS_VALUES

MAX_PAGE = 10_000


# ---------------------------------------------------------------- input
class PageInput(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, required=False, default=1)


class OrdersQueryInput(PageInput):
    role = serializers.ChoiceField(
        choices=trade_rules.ORDER_ROLES, required=False, help_text="Absent: both."
    )


class OrderCreateInput(serializers.Serializer):
    listing = IdField(help_text="The id of the listing to buy.")
    message = StrictCharField(
        max_length=trade_rules.ORDER_MESSAGE_MAX_LENGTH, required=False, allow_blank=True
    )


class OrderActionInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=trade_rules.ORDER_ACTIONS)


class MessageInput(serializers.Serializer):
    body = StrictCharField(
        max_length=trade_rules.MESSAGE_BODY_MAX_LENGTH,
        trim_whitespace=True,
        help_text="1..2000 characters after trimming; text only.",
    )
    client_token = StrictCharField(
        max_length=trade_rules.CLIENT_TOKEN_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="A per-form token (e.g. a UUID): the same token twice stores one message.",
    )


# ---------------------------------------------------------------- output (schema only)
class UserBriefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()


class OrderListingOutput(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="Null once the listing is deleted.")
    title = serializers.CharField(help_text="Snapshot taken when the order was placed.")
    price = serializers.CharField(help_text='Snapshot, two decimals, e.g. "12.50".')
    status = serializers.ChoiceField(choices=STATUS_VALUES, allow_null=True)
    cover = PhotoOutput(allow_null=True)


class OrderHistoryOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=trade_rules.ORDER_STATE_VALUES)
    actor = UserBriefOutput(allow_null=True, help_text="Null: done by the system.")
    at = serializers.DateTimeField()


class OrderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=trade_rules.ORDER_STATE_VALUES)
    listing = OrderListingOutput()
    buyer = UserBriefOutput()
    seller = UserBriefOutput()
    message = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    history = OrderHistoryOutput(many=True)
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=trade_rules.ORDER_ACTIONS),
        help_text="What the viewer may do now.",
    )


class OrderPageOutput(serializers.Serializer):
    results = OrderOutput(many=True, help_text="Newest first.")
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()


class MessageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    sender = UserBriefOutput()
    body = serializers.CharField(help_text="As typed: escape it when rendering.")
    created_at = serializers.DateTimeField()


class ThreadListingOutput(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUS_VALUES, allow_null=True)
    cover = PhotoOutput(allow_null=True)


class ThreadOutput(serializers.Serializer):
    id = serializers.IntegerField()
    listing = ThreadListingOutput()
    buyer = UserBriefOutput()
    seller = UserBriefOutput()
    created_at = serializers.DateTimeField()
    last_message_at = serializers.DateTimeField()
    unread = serializers.IntegerField(help_text="Unread messages for the viewer.")
    last_message = MessageOutput(allow_null=True)


class ThreadPageOutput(serializers.Serializer):
    results = ThreadOutput(many=True, help_text="Latest activity first.")
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    pages = serializers.IntegerField()


class ThreadMessageOutput(serializers.Serializer):
    thread = ThreadOutput()
    message = MessageOutput()


class ThreadDetailOutput(serializers.Serializer):
    thread = ThreadOutput()
    messages = MessageOutput(many=True, help_text="Oldest first within the page.")
    count = serializers.IntegerField()
    page = serializers.IntegerField(help_text="1 is the newest page.")
    pages = serializers.IntegerField()
