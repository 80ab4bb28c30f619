"""Semantic search over a user's chat history: `SearchService`, a sibling of `ChatService`
and `AdminService` over the same `Database` (pgvector, migration 0010,
queries/chat_message_embeddings.sql).

The embeddings come from the caller's model: all-MiniLM-L6-v2, 384 dimensions
(docs/semantic_search.md says why). This module checks what a caller passes, then runs
the generated queries; ownership (the account and the user) is checked by those queries
in SQL, as everywhere else, and a message or chat that is not the caller's is NotFound.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from chatdb import validate as v
from chatdb.database import Database
from chatdb.db import chat_message_embeddings as q_embeddings
from chatdb.db.chat_message_embeddings import SearchChatMessagesByEmbeddingRow
from chatdb.errors import InvalidInput, found
from chatdb.tx import Conn
from chatdb.validate import Id

__all__ = ["EMBEDDING_DIMS", "SEARCH_MAX", "MessageHit", "SearchService", "embedding"]

EMBEDDING_DIMS = 384  # chat_message_embeddings.embedding is vector(384): all-MiniLM-L6-v2
SEARCH_MAX = 100  # most hits one search returns
FLOAT4_MAX = 3.4028234663852886e38  # pgvector stores float4: larger values do not fit

MessageHit = SearchChatMessagesByEmbeddingRow  # a message found, with its cosine distance


@dataclass(frozen=True)
class StoredEmbedding:
    message_id: int
    chat_id: uuid.UUID


def embedding(value: object, name: str) -> list[float]:
    """An embedding as the table stores it: EMBEDDING_DIMS finite floats that fit a float4,
    not all zero (a zero vector has no direction: its cosine distance is undefined)."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise InvalidInput(f"{name} must be a sequence of {EMBEDDING_DIMS} numbers.")
    if len(value) != EMBEDDING_DIMS:
        raise InvalidInput(f"{name} must have {EMBEDDING_DIMS} numbers, not {len(value)}.")
    out = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | float):
            raise InvalidInput(f"{name} must hold numbers only.")
        number = float(item)
        if not math.isfinite(number) or abs(number) > FLOAT4_MAX:
            raise InvalidInput(f"{name} must hold finite numbers within float4's range.")
        out.append(number)
    if not any(out):
        raise InvalidInput(f"{name} must not be all zeros.")
    return out


class SearchService:
    """Store a message's embedding; find a user's messages nearest to a query embedding.
    Each method is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def store_embedding(
        self, *, account_id: Id, user_id: Id, message_id: int, vector: Sequence[float]
    ) -> StoredEmbedding:
        """Store (or replace) the embedding of one of the user's messages in the account;
        NotFound when the message is not the user's (or its chat was deleted)."""
        acc, usr = v.as_uuid(account_id, "account_id"), v.as_uuid(user_id, "user_id")
        mid = v.integer(message_id, "message_id", 1, 2**63 - 1)
        values = embedding(vector, "vector")

        async def work(conn: Conn) -> StoredEmbedding:
            row = found(
                await q_embeddings.upsert_chat_message_embedding(
                    conn, embedding=values, message_id=mid, account_id=acc, user_id=usr
                )
            )
            return StoredEmbedding(row.message_id, row.chat_id)

        return await self.db.transaction(work)

    async def search_messages(
        self,
        *,
        account_id: Id,
        user_id: Id,
        vector: Sequence[float],
        k: int = 10,
        fresh: bool = False,
    ) -> list[MessageHit]:
        """The user's `k` messages nearest to `vector` (cosine distance, nearest first),
        from the user's live chats in the account only. From the replica when there is
        one, unless `fresh`."""
        acc, usr = v.as_uuid(account_id, "account_id"), v.as_uuid(user_id, "user_id")
        query = embedding(vector, "vector")
        limit = v.integer(k, "k", 1, SEARCH_MAX)

        async def work(conn: Conn) -> list[MessageHit]:
            await q_embeddings.search_exhaustively(conn)
            return await q_embeddings.search_chat_messages_by_embedding(
                conn, embedding=query, account_id=acc, user_id=usr, k=limit
            )

        return await self.db.read(work, fresh=fresh)
