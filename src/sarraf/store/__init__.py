"""Persistence adapters: SQLAlchemy 2 tables, repositories, Alembic migrations."""
