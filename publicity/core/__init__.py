"""What every area of the record stands on: courts and officers, the audit trail, domain events and errors, working
days, failure throttling, attachments, row locks and guarded updates, and reading import files as hostile input."""
