"""Customer service answers: each bank's knowledge base for the 77 service questions, in ar, pl and en.

Domain code: reads YAML files and the bank's figures, imports no web framework, database or channel."""

from sarraf.kb.intents import SERVICE_INTENTS
from sarraf.kb.knowledge import KnowledgeBase, KnowledgeBaseError, Problem, check, load

__all__ = ["SERVICE_INTENTS", "KnowledgeBase", "KnowledgeBaseError", "Problem", "check", "load"]
