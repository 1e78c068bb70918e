"""Sarraf (صرّاف): a privacy-first conversational banking gateway."""

__version__ = "0.1.0"
