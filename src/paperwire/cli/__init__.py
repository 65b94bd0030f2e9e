"""Command line: thin commands that parse options, call a service and print."""
