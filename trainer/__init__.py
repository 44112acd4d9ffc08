"""Training a TransformerLM built from an implementation package: the built-in corpus and the loop."""
