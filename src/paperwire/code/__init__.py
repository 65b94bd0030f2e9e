"""Papers with code: finding repository links and project pages, and backfilling them."""
