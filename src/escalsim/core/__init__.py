"""The model core: equations, random streams, parameters and policies."""
