"""执行+网格 (the liaisons' area and the court's side of it) and judicial aid (司法救助)."""
