"""Who the visitor is and what they may open: login accounts, the Flask-Login wiring (``login``), the server-side
login sessions, and the access rules every view declares (``access``)."""
