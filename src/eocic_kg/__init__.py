"""eocic-kg: the EOCIC pilot-regions report as a linked-data knowledge graph."""

#: The package version, read by hatchling for the wheel; the ontology's owl:versionInfo equals it.
__version__ = "0.3.0"
