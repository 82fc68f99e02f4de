"""Run the command line: ``python -m matcher``."""

from matcher.cli import main

main()
