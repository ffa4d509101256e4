"""The exception types the pipeline and the store raise for bad input."""


class BuildError(Exception):
    """A source file, shape or reasoning step failed; the message names the file and line."""


class UsageError(ValueError):
    """A command or setting was given wrongly (a missing argument, a value out of range); the
    message says what to give instead."""


class QueryError(ValueError):
    """The query, update or RDF payload is invalid; the message says why."""


class RefusedError(QueryError):
    """The request is well-formed but asks for something this server never does."""


class UnknownResourceError(QueryError):
    """A named query's IRI argument names nothing the dataset mentions (a typo, most likely):
    refused rather than answered with no rows."""


class NotAcceptableError(ValueError):
    """The result kind has no format the client accepts."""


class StoreBusyError(OSError):
    """Another process holds the on-disk store (a server, or a load in progress)."""


class EngineError(OSError):
    """The remote SPARQL engine failed on a request it accepted (a bad gateway); the message
    is the engine's."""
