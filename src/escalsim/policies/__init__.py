"""Decision rules ("policies"): one module per policy, registered by name.

In the style of the Axelrod library's strategies, each policy is one class that holds its
parameter model (``Spec``, what the scenario schema validates), its decision (``decide``), its
classifier (``stochastic``, ``memory_depth``, ``information``, ``needs_player``) and its
citation; :mod:`escalsim.policies.base` defines the interface and
:mod:`escalsim.policies.registry` the registry the scenario schema builds its union from.

Adding a policy: write ``escalsim/policies/<name>.py`` with its ``Spec`` model and its
``@register``-ed class (with ``problems`` if it needs something of the scenario), import it
below (the position fixes its place in the schema's union, in error messages and in the app's
menu), and add its test class to ``tests/test_policies.py`` (it inherits ``PolicyTest``, which
checks the classifier against behaviour). A policy kept outside the package registers the same
way, if its module is imported before :mod:`escalsim.scenario` builds the schema.
"""

# isort: off
# The order of these imports is the registry's order.
from escalsim.policies import bargaining
from escalsim.policies import reciprocal
from escalsim.policies import generous
from escalsim.policies import grit
from escalsim.policies import hardliner
from escalsim.policies import deterrer
from escalsim.policies import brinkmanship
from escalsim.policies import memory_one
from escalsim.policies import scripted
from escalsim.policies import human
from escalsim.policies import llm

# isort: on
from escalsim.policies.bargaining import Bargaining
from escalsim.policies.base import (
    Actor,
    HumanMoveRequiredError,
    Memory,
    Observation,
    Policy,
    PolicySpec,
    toward,
)
from escalsim.policies.brinkmanship import Brinkmanship
from escalsim.policies.deterrer import Deterrer
from escalsim.policies.generous import Generous
from escalsim.policies.grit import Grit
from escalsim.policies.hardliner import Hardliner
from escalsim.policies.human import Human
from escalsim.policies.llm import LLM
from escalsim.policies.memory_one import MemoryOne
from escalsim.policies.reciprocal import Reciprocal
from escalsim.policies.registry import DEFAULT_POLICY, POLICIES, default_policy, register
from escalsim.policies.scripted import Scripted

__all__ = [
    "DEFAULT_POLICY",
    "LLM",
    "POLICIES",
    "Actor",
    "Bargaining",
    "Brinkmanship",
    "Deterrer",
    "Generous",
    "Grit",
    "Hardliner",
    "Human",
    "HumanMoveRequiredError",
    "Memory",
    "MemoryOne",
    "Observation",
    "Policy",
    "PolicySpec",
    "Reciprocal",
    "Scripted",
    "bargaining",
    "brinkmanship",
    "default_policy",
    "deterrer",
    "generous",
    "grit",
    "hardliner",
    "human",
    "llm",
    "memory_one",
    "reciprocal",
    "register",
    "scripted",
    "toward",
]
