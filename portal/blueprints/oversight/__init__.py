"""Oversight by people's deputies and CPPCC members: their area under /oversight/ and the court's side under
/oversight/staff/."""
