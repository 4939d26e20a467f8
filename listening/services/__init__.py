"""Listening services, one module per area (topics, pipeline, matching, …)."""
