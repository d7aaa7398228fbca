"""The audit log: every change to the records an auditor may ask about."""
