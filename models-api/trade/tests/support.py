"""Helpers of the trade tests."""
