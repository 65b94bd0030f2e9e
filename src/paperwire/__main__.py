"""Run the paperwire command line: `python -m paperwire`."""

from paperwire.cli.main import main

main()
