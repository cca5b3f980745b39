"""The knowledge base's pages: staff editing (``staff``), the public help centre
(``helpcentre``) and the self-service reports (``reports``)."""
