"""The round after the solve: decided placements, 补录, the centre, settlement, run folders.

These modules work on a finished run (its folder and its decisions) and call the engine again
only through `matcher.engine.pipeline`.
"""
