"""Search: turning what a reader typed into ranked papers."""
