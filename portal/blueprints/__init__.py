"""The portal's blueprints, one module per area."""
