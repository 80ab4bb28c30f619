"""SQLAlchemy 2.x async ORM peer: mapped classes for the benchmarked tables.

Mapped by hand from schema/0003 and schema/0005 (the columns, types and nullability the
generated models have); server-side defaults are left to the database, as the generated
code does.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from sqlalchemy import BigInteger, Identity, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.sql import func


class Base(DeclarativeBase):
    pass


class ChatModelConfigRow(Base):
    __tablename__ = "chat_model_configs"

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), primary_key=True, server_default=func.gen_random_uuid()
    )
    provider: Mapped[str] = mapped_column(Text)
    model: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(Text)
    created_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    enabled: Mapped[bool] = mapped_column(server_default="true")
    is_default: Mapped[bool] = mapped_column(server_default="false")
    context_limit: Mapped[int] = mapped_column(BigInteger)
    compression_threshold: Mapped[int] = mapped_column(Integer)
    options: Mapped[Any] = mapped_column(JSONB, server_default="{}")
    deleted: Mapped[bool] = mapped_column(server_default="false")
    deleted_at: Mapped[datetime.datetime | None]
    created_at: Mapped[datetime.datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime.datetime] = mapped_column(server_default=func.now())


class ChatMessageRow(Base):
    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    chat_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    client_message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    role: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    dax_attempts: Mapped[Any | None] = mapped_column(JSONB)
    final_dax: Mapped[str | None] = mapped_column(Text)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    model_config_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    created_at: Mapped[datetime.datetime] = mapped_column(server_default=func.now())
    account_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
