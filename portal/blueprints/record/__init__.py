"""The case record: the staff's case register and workbench, the party's lookup."""
