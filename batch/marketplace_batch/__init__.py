"""Background workers of the marketplace: search indexer, page-view counter,
co-view recommendations (PySpark) and the zero-downtime search re-index.

Run as ``python -m marketplace_batch <command>`` (see ``__main__``).
"""
