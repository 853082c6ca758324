"""URLs: health endpoints without auth; the internal API under /api/v1/."""

from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularJSONAPIView

from core.converters import IdConverter
from core.views import readyz
from mpcommon.health import healthz

register_converter(IdConverter, "id")

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("catalogue.urls")),
    path("", include("trade.urls")),
    path("", include("photos.urls")),
    path("", include("favourites.urls")),
    path("", include("alerts.urls")),
    path("schema", SpectacularJSONAPIView.as_view(), name="schema"),
]

urlpatterns = [
    path("healthz", healthz),
    path("readyz", readyz),
    path("api/v1/", include(api_v1)),
]

handler400 = "core.exceptions.json_bad_request"
handler404 = "core.exceptions.json_not_found"
handler500 = "core.exceptions.json_server_error"
