"""paperwire: a self-hostable trending research papers service."""

__version__ = "0.1.0"
