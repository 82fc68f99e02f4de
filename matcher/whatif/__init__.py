"""What-if work on a round: scenarios, changes and overrides, sweeps, advice and comparisons.

Each module takes a round (or two results) through `matcher.engine` and never writes the
department's files itself; `matcher.api` is the front door to all of them.
"""
