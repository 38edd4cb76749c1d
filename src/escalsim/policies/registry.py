"""The registry of policies: name -> policy, and the scenario schema's union built from it.

A policy module registers its class with :func:`register`; :mod:`escalsim.policies` imports
the built-in modules in a fixed order, which is the order of the schema's union, of the
"expected one of" lists in error messages and of the app's policy menu.
:mod:`escalsim.scenario.schema` takes its ``Policy`` union and ``POLICY_MODELS`` from here, so
no list of policy names exists anywhere else.
"""

from __future__ import annotations

import functools
import operator
import typing
from typing import Annotated, Any

from pydantic import Field

from escalsim.policies.base import INFORMATION, Policy, PolicySpec, valid_memory_depth

__all__ = [
    "DEFAULT_POLICY",
    "POLICIES",
    "default_policies_text",
    "default_policy",
    "register",
    "spec_models",
    "spec_union",
]

#: Every registered policy by name, one instance each, in registration order.
POLICIES: dict[str, Policy] = {}

#: The policy of an actor whose scenario entry gives none, by role: a power bargains
#: (docs/decision-v2.md §3.7); a third party that has joined a war beside its patron answers
#: the patron's foe in kind (tit-for-tat, Axelrod 1984), since the bargaining policy models
#: the two powers' bargain and has no meaning for a state outside it.
DEFAULT_POLICY: dict[str, str] = {"power": "bargaining", "third_party": "reciprocal"}


def default_policies_text() -> str:
    """The defaults by role in words: "bargaining for a power, reciprocal for a third party"."""
    return ", ".join(
        f"{name} for a {role.replace('_', ' ')}" for role, name in DEFAULT_POLICY.items()
    )


def default_policy(role: object) -> str:
    """The name of the default policy of an actor with ``role`` (a power's for anything else).

    Parameters
    ----------
    role : object
        ``"power"`` or ``"third_party"``; any other value (invalid data, reported by the schema)
        gets the power's default.
    """
    return DEFAULT_POLICY.get(role if isinstance(role, str) else "power", DEFAULT_POLICY["power"])


def _spec_name(spec: type[PolicySpec]) -> str | None:
    field = spec.model_fields.get("name")
    args = typing.get_args(field.annotation) if field is not None else ()
    return args[0] if len(args) == 1 and isinstance(args[0], str) else None


def register[P: type[Policy]](cls: P) -> P:
    """Class decorator: add a policy to :data:`POLICIES` under its ``name``.

    The class is checked as it is registered, so a malformed policy fails at import, not in a
    run: its ``Spec`` must be a :class:`PolicySpec` whose ``name`` is the literal ``cls.name``,
    its ``information`` names observation fields or actor traits, its ``memory_depth`` is a
    non-negative integer or ``math.inf``, and it has a docstring and a citation.

    Parameters
    ----------
    cls : type[Policy]
        The policy class.

    Returns
    -------
    type[Policy]
        The same class.

    Raises
    ------
    TypeError
        If the class breaks one of the rules above.
    ValueError
        If another policy already has its name.
    """
    problems = []
    if not (isinstance(cls.Spec, type) and issubclass(cls.Spec, PolicySpec)):
        problems.append("its Spec is not a PolicySpec")
    elif _spec_name(cls.Spec) != cls.name:
        problems.append(f"its Spec's name must be Literal[{cls.name!r}]")
    unknown = sorted(set(cls.information) - set(INFORMATION))
    if unknown:
        problems.append(f"information names unknown inputs {unknown}")
    if not valid_memory_depth(cls.memory_depth):
        problems.append("memory_depth must be a non-negative integer or math.inf")
    if not (cls.__doc__ or "").strip() or not cls.citation.strip():
        problems.append("it needs a docstring and a citation")
    if problems:
        raise TypeError(f"policy {cls.__name__} ({cls.name!r}): " + "; ".join(problems))
    if cls.name in POLICIES:
        raise ValueError(f"a policy named {cls.name!r} is already registered")
    POLICIES[cls.name] = cls()
    return cls


def spec_models() -> dict[str, type[PolicySpec]]:
    """Policy name -> parameter model, in registration order."""
    return {name: type(policy).Spec for name, policy in POLICIES.items()}


def spec_union() -> Any:
    """The discriminated union of every registered policy's parameter model.

    Returns
    -------
    typing.Annotated
        ``Annotated[Spec1 | Spec2 | ..., Field(discriminator="name")]``, what the scenario
        schema's ``Actor.policy`` field is typed with.
    """
    members = functools.reduce(operator.or_, spec_models().values())
    return Annotated[members, Field(discriminator="name")]
