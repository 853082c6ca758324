"""URL map of the site (CONTRACTS.md, "Web pages")."""

from django.urls import path

from accounts import views as accounts
from favourites import views as favourites
from listings import views as listings
from mpcommon.health import healthz
from saved_searches import views as saved_searches
from search import views as search
from trade import views as trade

urlpatterns = [
    path("", listings.home, name="home"),
    path("listings/new/", listings.create, name="listing-create"),
    path("listings/<int:listing_id>/", listings.detail, name="listing-detail"),
    # selling (issue 12)
    path("listings/<int:listing_id>/edit/", listings.edit, name="listing-edit"),
    path("listings/<int:listing_id>/status/", listings.change_status, name="listing-status"),
    path("listings/<int:listing_id>/delete/", listings.delete, name="listing-delete"),
    path("dashboard/", listings.dashboard, name="dashboard"),
    path("signup/", accounts.signup, name="signup"),
    path("login/", accounts.login, name="login"),
    path("logout/", accounts.logout, name="logout"),
    path("users/<int:user_id>/", accounts.profile, name="profile"),
    path("search/", search.search, name="search"),
    path("listings/<int:listing_id>/order/", trade.place_order, name="listing-order"),
    path("listings/<int:listing_id>/messages/", trade.message_seller, name="listing-message"),
    path("orders/", trade.order_list, name="orders"),
    path("orders/<int:order_id>/", trade.order_detail, name="order-detail"),
    path("messages/", trade.inbox, name="inbox"),
    path("messages/<int:thread_id>/", trade.thread, name="thread"),
    # accounts and notifications (issue 13)
    path("account/", accounts.account, name="account"),
    path("account/password/", accounts.password_change, name="password-change"),
    path("password-reset/", accounts.password_reset, name="password-reset"),
    path(
        "password-reset/<str:token>/",
        accounts.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path("listings/<int:listing_id>/favourite/", favourites.toggle, name="listing-favourite"),
    path("favourites/", favourites.favourite_list, name="favourites"),
    path("saved-searches/", saved_searches.saved_search_list, name="saved-searches"),
    path(
        "saved-searches/<int:saved_search_id>/update/",
        saved_searches.saved_search_update,
        name="saved-search-update",
    ),
    path(
        "saved-searches/<int:saved_search_id>/delete/",
        saved_searches.saved_search_delete,
        name="saved-search-delete",
    ),
    path("healthz", healthz, name="healthz"),
]

handler400 = "core.views.bad_request"
handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
handler403 = "core.views.permission_denied"
