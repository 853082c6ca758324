"""Orders and buyer-seller conversations (thin: validate, call the API, render)."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from clients.experience_api import Conflict, NotAuthenticated, PermissionDenied, ValidationFailed
from core.auth import login_required
from mpcommon import trade_rules
from trade.forms import MessageForm, OrderActionForm, OrderForm


def _page(request) -> int:
    value = request.GET.get("page", "1")
    return int(value) if value.isdigit() and 0 < int(value) <= 10_000 else 1


def _login_back_to_listing(view):
    """Anonymous POSTs from a listing page log in and come back to that listing."""

    @wraps(view)
    def wrapper(request, listing_id: int, *args, **kwargs):
        try:
            request.viewer.require()
        except NotAuthenticated:
            query = urlencode({"next": f"/listings/{int(listing_id)}/"})
            return HttpResponseRedirect(f"/login/?{query}")
        return view(request, listing_id, *args, **kwargs)

    return wrapper


@require_POST
@_login_back_to_listing
def place_order(request, listing_id: int):
    form = OrderForm(request.POST)
    back = f"/listings/{int(listing_id)}/"
    if not form.is_valid():
        messages.error(request, "The note for the seller is too long.")
        return HttpResponseRedirect(back)
    try:
        order = request.api.place_order(listing_id, message=form.cleaned_data["message"])
    except (Conflict, PermissionDenied) as error:
        messages.error(request, str(error))
        return HttpResponseRedirect(back)
    messages.success(request, "Your request was sent to the seller.")
    return HttpResponseRedirect(f"/orders/{int(order['id'])}/")


@require_safe
@login_required
def order_list(request):
    purchases = request.api.orders(role="buyer")
    sales = request.api.orders(role="seller")
    return render(
        request,
        "orders/list.html",
        {"purchases": purchases["results"], "sales": sales["results"]},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def order_detail(request, order_id: int):
    if request.method == "POST":
        form = OrderActionForm(request.POST)
        if form.is_valid():
            try:
                order = request.api.act_on_order(order_id, form.cleaned_data["action"])
            except Conflict as error:
                messages.error(request, str(error))
            else:
                label = trade_rules.ORDER_STATE_LABELS.get(order["status"], order["status"])
                messages.success(request, f"Order {label.lower()}.")
        return HttpResponseRedirect(f"/orders/{int(order_id)}/")
    order = request.api.order(order_id)
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "actions": [(a, trade_rules.ACTION_LABELS[a]) for a in order.get("actions", [])],
            "notice": trade_rules.NO_PAYMENT_NOTICE,
            "state_labels": trade_rules.ORDER_STATE_LABELS,
        },
    )


@require_safe
@login_required
def inbox(request):
    return render(
        request, "messages/inbox.html", {"page": request.api.threads(page=_page(request))}
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def thread(request, thread_id: int):
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            request.api.reply(thread_id, **form.cleaned_data)
        except ValidationFailed as error:
            form.add_error("body", "; ".join((error.fields or {}).get("body", [str(error)])))
        else:
            return HttpResponseRedirect(f"/messages/{int(thread_id)}/")
    data = request.api.thread(thread_id, page=_page(request))
    if request.method == "POST":
        form = form if form.errors else MessageForm()
    return render(request, "messages/thread.html", {"data": data, "form": form})


@require_POST
@_login_back_to_listing
def message_seller(request, listing_id: int):
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            answer = request.api.message_seller(listing_id, **form.cleaned_data)
        except PermissionDenied as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(f"/listings/{int(listing_id)}/")
        except ValidationFailed as error:
            form.add_error("body", "; ".join((error.fields or {}).get("body", [str(error)])))
        else:
            return HttpResponseRedirect(f"/messages/{int(answer['thread']['id'])}/")
    listing = request.api.listing(listing_id)
    return render(request, "messages/start.html", {"listing": listing, "form": form})
