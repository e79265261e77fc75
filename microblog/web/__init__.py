"""Blueprints, one per concern; each view reads the request, calls the work, renders."""
