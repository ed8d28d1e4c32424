"""The portal's ties to the world outside the database: delivery of the notice outbox (SMS gateway, mail), backups,
and the search answer cache (Redis when configured)."""
