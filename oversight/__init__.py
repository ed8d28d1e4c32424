"""Oversight: invited people's deputies and CPPCC members supervising hard cases."""
