"""URLs of the public JSON API (``/api/v1/...``), media, health endpoints and the schema.

Every API path matches with or without a trailing slash (no redirects for API
clients); anything else gets a JSON 404.
"""

from django.urls import re_path
from drf_spectacular.views import SpectacularJSONAPIView

from accounts.api import (
    LoginView,
    LogoutView,
    MeView,
    PasswordChangeView,
    PasswordResetCheckView,
    PasswordResetConfirmView,
    PasswordResetView,
    SignupView,
    ViewerView,
)
from favourites.api import FavouriteIdsView, FavouritesView, FavouriteView
from health.views import readyz
from listings.api import (
    CategoriesView,
    DashboardView,
    HomeView,
    ListingCreateView,
    ListingDetailView,
    ListingPhotosView,
    ListingPhotoView,
    UserProfileView,
)
from listings.page_views import edge_page_views
from media.views import media_object
from mpcommon.health import healthz
from saved_searches.api import SavedSearchCollectionView, SavedSearchDetailView
from search.api import SearchView
from trade.api import (
    ListingMessageView,
    OrderActionView,
    OrderCollectionView,
    OrderDetailView,
    ThreadCollectionView,
    ThreadDetailView,
)

ID = r"(?P<{name}>[1-9][0-9]{{0,18}})"


def api(pattern: str, view, name: str):
    return re_path(rf"^api/v1/{pattern}/?$", view, name=name)


class SchemaView(SpectacularJSONAPIView):
    authentication_classes: list = []


urlpatterns = [
    # First: HAProxy asks it on every logged-in page view (patterns are tried in order).
    api("viewer", ViewerView.as_view(), "viewer"),
    re_path(r"^healthz/?$", healthz, name="healthz"),
    re_path(r"^readyz/?$", readyz, name="readyz"),
    # Photos and thumbnails (HAProxy routes GET/HEAD /media/ here; the view checks the key).
    re_path(r"^media/(?P<key>[^/]*)$", media_object, name="media"),
    # Internal (HAProxy never routes it): anonymous views served from the edge cache.
    re_path(r"^internal/page-views$", edge_page_views, name="edge-page-views"),
    api("home", HomeView.as_view(), "home"),
    api("listings", ListingCreateView.as_view(), "listing-create"),
    api(f"listings/{ID.format(name='listing_id')}", ListingDetailView.as_view(), "listing-detail"),
    api(
        f"listings/{ID.format(name='listing_id')}/photos",
        ListingPhotosView.as_view(),
        "listing-photos",
    ),
    api(
        f"listings/{ID.format(name='listing_id')}/photos/{ID.format(name='photo_id')}",
        ListingPhotoView.as_view(),
        "listing-photo",
    ),
    api("search", SearchView.as_view(), "search"),
    api("dashboard", DashboardView.as_view(), "dashboard"),
    api("orders", OrderCollectionView.as_view(), "orders"),
    api(f"orders/{ID.format(name='order_id')}", OrderDetailView.as_view(), "order-detail"),
    api(f"orders/{ID.format(name='order_id')}/actions", OrderActionView.as_view(), "order-actions"),
    api(
        f"listings/{ID.format(name='listing_id')}/messages",
        ListingMessageView.as_view(),
        "listing-messages",
    ),
    api("threads", ThreadCollectionView.as_view(), "threads"),
    api(f"threads/{ID.format(name='thread_id')}", ThreadDetailView.as_view(), "thread-detail"),
    api("auth/signup", SignupView.as_view(), "signup"),
    api("auth/login", LoginView.as_view(), "login"),
    api("auth/logout", LogoutView.as_view(), "logout"),
    api("auth/password", PasswordChangeView.as_view(), "password-change"),
    api("auth/password-reset", PasswordResetView.as_view(), "password-reset"),
    api("auth/password-reset/check", PasswordResetCheckView.as_view(), "password-reset-check"),
    api(
        "auth/password-reset/confirm",
        PasswordResetConfirmView.as_view(),
        "password-reset-confirm",
    ),
    api("me", MeView.as_view(), "me"),
    api("favourites", FavouritesView.as_view(), "favourites"),
    api("favourites/ids", FavouriteIdsView.as_view(), "favourite-ids"),
    api(f"favourites/{ID.format(name='listing_id')}", FavouriteView.as_view(), "favourite"),
    api("saved-searches", SavedSearchCollectionView.as_view(), "saved-searches"),
    api(
        f"saved-searches/{ID.format(name='saved_search_id')}",
        SavedSearchDetailView.as_view(),
        "saved-search",
    ),
    api(f"users/{ID.format(name='user_id')}", UserProfileView.as_view(), "user-profile"),
    api("categories", CategoriesView.as_view(), "categories"),
    api("schema", SchemaView.as_view(), "schema"),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.not_found"
handler500 = "config.errors.server_error"
