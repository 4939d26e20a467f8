"""Participation models. The area has no pages yet, so navigation does not show it."""
