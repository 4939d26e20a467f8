"""Small topic modules shared by every app (no `utils.py` dumping ground)."""
