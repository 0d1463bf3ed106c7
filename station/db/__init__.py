"""Database layer: typed models, engine/session set-up, Alembic migrations."""
