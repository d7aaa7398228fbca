"""Evidence kept for auditors: the signed sign-in sheets of sessions and their bytes."""
