"""Run the command line: ``python -m matcher``."""

from matcher.cli import main

if __name__ == "__main__":  # not again in the solver's spawned second process
    main()
