"""Chat backend data layer: generated queries in `chatdb.db`, services beside them."""
