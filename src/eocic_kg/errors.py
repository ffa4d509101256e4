"""The one exception type the pipeline raises for bad input."""


class BuildError(Exception):
    """A source file, shape or reasoning step failed; the message names the file and line."""
