"""The assistant's background jobs."""

from huey.contrib.djhuey import db_task


@db_task()
def embed_articles_task() -> int:
    """Embed (E5) the published articles' passages not stored yet."""
    from rapport.assistant.retrieval import embed_articles

    return embed_articles()
