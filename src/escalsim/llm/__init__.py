"""Language-model actors: the client, the prompt, the run's session (docs/llm.md).

The ``llm`` policy (:mod:`escalsim.policies.llm`) asks an OpenAI-compatible chat endpoint
through the active :class:`~escalsim.llm.session.Session`, which records every answer in the run
folder (``llm/calls.jsonl``), keeps a shared cache and enforces the budget. Nothing here imports
an HTTP library at import time.
"""
