"""The error a request to arXiv ends with, apart from the client that raises it: the web
app catches it without importing the HTTP client until a reader submits a paper."""


class FetchError(RuntimeError):
    """A request to arXiv failed for good; the message says which and why."""
