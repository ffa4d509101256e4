"""eocic-kg: the EOCIC pilot-regions report as a linked-data knowledge graph."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("eocic-kg")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
