"""Community: accounts, sessions, upvotes, comments and submissions (services over storage)."""
