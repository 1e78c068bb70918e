"""Per-language keyword tables, one YAML file per language (read by nlu/keywords.py)."""
