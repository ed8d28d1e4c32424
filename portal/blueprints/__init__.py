"""The portal's blueprints, grouped as the domain is: ``site`` (the portal's own pages), ``record``, ``lists``,
``outreach`` and ``oversight``. No blueprint imports another: what they share is in ``portal.views``."""
