"""PostgreSQL for tests: a private schema per test (or module), dropped afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

PG_URL_ENV = "ATLAS_TEST_POSTGRES_URL"
PG_URL = os.environ.get(PG_URL_ENV)
PG_SKIP = pytest.mark.skipif(not PG_URL, reason=f"PostgreSQL tests need {PG_URL_ENV} (.ci/run sets it)")


@contextmanager
def private_schema(prefix: str = "t") -> Iterator[tuple[str, str]]:
    """Yield ``(server_url, schema)``: tables made there never mix with other tests or real data."""
    import sqlalchemy as sa

    if not PG_URL:
        pytest.skip(f"{PG_URL_ENV} not set")
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield PG_URL, schema
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def private_schema_engine(prefix: str = "t") -> Iterator:
    """A storage engine whose search path is a private schema."""
    from components import storage

    with private_schema(prefix) as (url, schema):
        eng = storage.make_engine(url, search_path=schema)
        try:
            yield eng
        finally:
            eng.dispose()
