"""ketaread: a terminal reader for educational feeds, with references and a glossary."""

__version__ = "0.1.0"
