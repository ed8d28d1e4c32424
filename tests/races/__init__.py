"""Race tests: the real portal under gunicorn, several clients releasing the same request at the same moment.

See tests/races/harness.py for how the server, the databases, the logins and the barrier work.
"""
