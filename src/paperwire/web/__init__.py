"""Web: the FastAPI application, its pages and templates."""
