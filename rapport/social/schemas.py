"""The generic JSON that social ingest endpoints accept."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Author(BaseModel):
    model_config = ConfigDict(extra="ignore")

    handle: str = Field(min_length=1, max_length=100)
    name: str = Field("", max_length=200)


class SocialItem(BaseModel):
    """A mention or direct message as a network adapter or relay sends it."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["mention", "direct_message"]
    network: str | None = Field(None, max_length=16)
    id: str = Field(min_length=1, max_length=200)
    author: Author
    text: str = Field(max_length=50_000)
    url: str = Field("", max_length=1000)
    created_at: datetime | None = None
    in_reply_to: str | None = Field(None, max_length=200)
