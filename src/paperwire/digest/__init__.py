"""E-mail digests: choose papers (pure), render, send over SMTP, claim deliveries (storage)."""
