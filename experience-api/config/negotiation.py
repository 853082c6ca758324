"""Content negotiation that always answers JSON (the only representation of this API)."""

from rest_framework.negotiation import DefaultContentNegotiation


class AlwaysJSONNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        # Ignore Accept: a client asking for text/html still gets JSON, never a 406.
        return renderers[0], renderers[0].media_type
