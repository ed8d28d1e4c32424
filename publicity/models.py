"""Every table of the domain in one metadata: importing this module maps them all (create_all, Alembic, and the
mappers' references by name). The models live with their area: ``publicity.core.models`` (the base, column types,
courts, officers, the audit trail), ``publicity.record.models``, ``publicity.lists.models``,
``publicity.outreach.models``; oversight's are in ``oversight.models``, the portal's accounts in ``portal.models``."""

from publicity.core.models import Base
from publicity.lists import models as lists_models  # noqa: F401 - imported to map its tables
from publicity.outreach import models as outreach_models  # noqa: F401 - imported to map its tables
from publicity.record import models as record_models  # noqa: F401 - imported to map its tables

__all__ = ["Base"]
