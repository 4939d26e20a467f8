"""Collaboration pages, one module per page group; every view is wrapped in access.workspace_view."""
