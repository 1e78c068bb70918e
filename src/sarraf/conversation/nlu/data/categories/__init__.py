"""Spending-category phrase tables, one YAML file per language (read by nlu/entities/categories.py)."""
