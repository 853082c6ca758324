"""Forms of orders and messages; limits from mpcommon.trade_rules (the API checks again)."""

from __future__ import annotations

import uuid

from django import forms

from mpcommon import trade_rules


class OrderForm(forms.Form):
    message = forms.CharField(
        max_length=trade_rules.ORDER_MESSAGE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "A note for the seller (optional)"}),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        max_length=trade_rules.MESSAGE_BODY_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write a message first."},
    )
    # A fresh token per rendered form: the same form submitted twice stores one message.
    client_token = forms.CharField(
        max_length=trade_rules.CLIENT_TOKEN_MAX_LENGTH, required=False, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["client_token"] = uuid.uuid4().hex


class OrderActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in trade_rules.ORDER_ACTIONS])
