"""The newest schema revision, so a start-up can skip importing Alembic when the database is already there.

`scripts/make-migration` rewrites it; tests/store/test_migrations.py fails if it is not Alembic's head.
"""

HEAD_REVISION = "d4a7c9e2b611"
