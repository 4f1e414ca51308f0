"""Source connectors: how landing data is delivered and read."""
