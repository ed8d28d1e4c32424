"""The portal's own pages: the home page, login, administration, the audit trail and its anchors, the dashboard,
the JSON API."""
