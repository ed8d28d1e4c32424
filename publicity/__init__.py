"""Publicity: the enforcement record the portal makes public (plain Python + SQLAlchemy)."""
