"""One folder per benchmark; each exports a :class:`imi.core.plugins.Domain` as ``DOMAIN``."""
