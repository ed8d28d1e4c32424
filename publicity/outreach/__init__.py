"""The court's reach beyond the courtroom: grid liaisons in the townships (执行+网格) and judicial aid (司法救助)."""
