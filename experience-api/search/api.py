"""The search endpoint."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.viewer import ViewerPartMixin, never_cache_if_personal
from config.schema import ErrorOutput
from listings.serializers import CardOutput, ViewerPartOutput
from search import selectors
from search.queries import SORTS
from search.serializers import SearchInput


class HighlightOutput(serializers.Serializer):
    title = serializers.CharField(required=False, help_text="Escaped HTML; only <mark> tags.")
    description = serializers.CharField(required=False, help_text="Escaped HTML; only <mark> tags.")


class ResultOutput(CardOutput):
    highlight = HighlightOutput()


class FacetOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField()


class FacetsOutput(serializers.Serializer):
    category = FacetOutput(many=True)


class SearchOutput(ViewerPartOutput):
    query = serializers.DictField()
    total = serializers.IntegerField()
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField()
    results = ResultOutput(many=True)
    facets = FacetsOutput()


class SearchView(ViewerPartMixin, APIView):
    # Results are the same for everyone (cached as such); a Bearer only adds the viewer's
    # own part to the answer (accounts.viewer), so a logged-in search page is one call.

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Words to find; empty browses all."),
            OpenApiParameter("category", str, description="A category slug."),
            OpenApiParameter("min_price", str),
            OpenApiParameter("max_price", str),
            OpenApiParameter("sort", str, enum=list(SORTS), default="relevance"),
            OpenApiParameter("page", int, default=1),
        ],
        responses={200: SearchOutput, 400: ErrorOutput, 503: ErrorOutput},
        description="Optional Bearer: the answer then also has viewer, favourited (and "
        "viewer_error when the authenticator is refused or unverifiable), never cached.",
    )
    def get(self, request):
        query = SearchInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        answer = selectors.search_listings(query.to_params())
        part = self.viewer_part(request, (answer["results"],))
        return never_cache_if_personal(Response({**answer, **part}), part)
