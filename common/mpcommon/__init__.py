"""Shared building blocks for the marketplace services.

Only code that is truly identical across services lives here: request-ID propagation
and structured logging, the event contract (topics + schemas), the search index
definition, and the Kafka client configuration. Each service stays self-contained
otherwise.
"""
