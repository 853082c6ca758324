"""Shared building blocks for the marketplace services.

Only code that is truly identical across services lives here: request-ID propagation
and structured logging, the event contract (topics + schemas), the search index
definition, the Kafka client configuration, the listing and user field rules
(``listing_rules``, ``account_rules``), the strict DRF input fields both JSON APIs
validate with (``api_fields``), the strict JSON body parser (``api_parsers``: size and
nesting limits) and the JSON error envelope (``errors``). Each service stays
self-contained otherwise.
"""
