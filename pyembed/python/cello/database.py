"""The original Cello's `cello.database` module: its Database is this version's pool (cello.db);
Redis, Transaction and @transactional are not here (use `async with db.transaction():`)."""
from ._elsewhere import make
from .db import Database, DatabaseConfig

Redis = make("Redis")
Transaction = make("Transaction")
transactional = make("transactional")

__all__ = ["Database", "DatabaseConfig", "Redis", "Transaction", "transactional"]
