"""Every SQL statement of the township app: the store (its connection and transactions) with its
parts mixed in, the sub-stores that hang on it, and the schema's migration steps."""
