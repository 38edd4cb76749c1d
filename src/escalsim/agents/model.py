"""The escalation model: a mesa 3 model that runs one crisis, round by round.

One round runs these phases, in this order (docs/ODD.md, "Process overview and scheduling"):

1. scheduled events: channels open or close, summits, injected incidents, parameter changes;
2. accidents: incidents make an actor's observable posture jump although it did not intend it;
3. talks and messages: over private channels that are up, agenda talks may yield agreements,
   and every actor sends each partner a message (honest or not; delayed by latency; misread);
4. perception: each actor observes every other through the best path available, with that
   path's noise; incidents are explained with the channel's deconfliction probability;
5. beliefs and trust: Bayes on perceived moves and on messages; trust from words against deeds;
6. decisions: each deciding actor's policy, evaluated twice with the same draw -- on what it
   perceives and on the truth -- to find miscalculations;
7. moves: implementation errors and de-escalation friction, then all moves at once; war at the
   war rung or by the brinkmanship risk of the rungs held; settlement and capitulation;
8. third parties: re-alignment toward the side seen as less aggressive, mediation offers,
   involvement beside a patron;
9. data collection.

Randomness comes from one ``SeedSequence`` stream per replication (:mod:`escalsim.core.streams`):
each round draws one fixed-shape block, whatever happens, so the batch engine and a
perfect-information twin consume the very same numbers. mesa's own ``random``/``rng`` are never
used.
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np
import pandas as pd

from escalsim.agents.agents import StateAgent
from escalsim.core import dynamics as dx
from escalsim.core.params import Params, schedule
from escalsim.core.policies import POLICIES, HumanMoveRequiredError, Quantal
from escalsim.core.streams import BlockLayout, replication_generator
from escalsim.scenario import Scenario, load_scenario, with_condition

#: Crisis outcomes.
OUTCOMES = ("war", "settlement", "capitulation_a", "capitulation_b", "unresolved")
#: Causes of an escalation step in the event log.
CAUSES = ("deliberate", "miscalculated", "accident", "third_party")
#: Per-run counters behind the outcome metrics (both drivers keep the same ones).
COUNTS = (
    "decisions",
    "miscalculations",
    "miscalculated_escalations",
    "perception_errors",
    "observations",
    "false_alarms",
    "messages_sent",
    "messages_delivered",
    "messages_misread",
    "agreements",
    "agreements_broken",
    "claims_checked",
    "claims_contradicted",
    "escalations",
    "deescalations",
)
#: What a player (``human`` policy) can say with a move: claim benign intent, warn, or nothing.
MESSAGE_CHOICES = ("reassure", "warn", "none")
#: Columns of the events frame, after ``condition`` and ``replication``.
EVENT_COLUMNS = ("round", "kind", "actor", "target", "channel", "move", "rung", "cause", "detail")


def typed_events(frame: pd.DataFrame) -> pd.DataFrame:
    """The events frame with stable dtypes whatever its content (both drivers use it).

    Text columns become strings (a missing value reads "None") and ``rung`` a nullable
    integer, so frames concatenate and round-trip through parquet unchanged.
    """
    frame = frame.astype({c: "str" for c in EVENT_COLUMNS if c not in ("round", "rung")})
    frame["rung"] = frame["rung"].astype("Int64")
    return frame


class EscalationModel(mesa.Model):
    """One crisis, as a mesa model.

    Parameters
    ----------
    scenario : Scenario or str
        A validated scenario, a scenario file, or the name of a shipped scenario.
    seed : int
        Root seed of the run (default: the scenario's ``run.seed``).
    replication : int
        Which replication of the run this is; with ``seed`` it fixes the random stream.
    condition : str, optional
        A condition of the scenario to apply (default: the base scenario).
    perfect_information : bool
        Run the perfect-information twin: every actor sees the truth.
    human_moves : dict, optional
        For actors with the ``human`` policy: actor id -> list of move names by round.
    human_messages : dict, optional
        For actors with the ``human`` policy: actor id -> list of messages by round, each
        ``'reassure'``, ``'warn'`` or ``'none'``, chosen with that round's move and sent in the
        next round's message phase. An actor listed here sends exactly these messages instead of
        the honesty draw (seminar mode); actors not listed behave as usual.

    Notes
    -----
    Construction is keyword-only so that a viewer can rebuild the model from its parameters.
    ``model.timeseries``, ``model.events`` and ``model.outcome`` give the three tidy frames.
    """

    def __init__(
        self,
        *,
        scenario: Scenario | str,
        seed: int | None = None,
        replication: int = 0,
        condition: str | None = None,
        perfect_information: bool = False,
        human_moves: dict[str, list[str]] | None = None,
        human_messages: dict[str, list[str]] | None = None,
    ) -> None:
        spec = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        if condition is not None:
            spec = with_condition(spec, condition)
        root = spec.run.seed if seed is None else int(seed)
        # mesa's own generators get the plain seed and are never used: all randomness comes
        # from the replication's stream below.
        super().__init__(rng=root)
        self.spec = spec
        self.condition = condition or spec.condition_names[0]
        self.seed_root = root
        self.replication = int(replication)
        self.perfect_information = perfect_information
        self.human_moves = human_moves or {}
        self.human_messages = human_messages or {}
        for actor_id, said in self.human_messages.items():
            wrong = [m for m in said if m not in MESSAGE_CHOICES]
            if wrong:
                raise ValueError(
                    f"human_messages[{actor_id!r}]: {wrong[0]!r} is not a message; "
                    f"expected one of {', '.join(MESSAGE_CHOICES)}"
                )
        self._u: dict[str, np.ndarray] | None = None  # random draws of a round under way
        self.sched = schedule(spec)
        self.params: Params = self.sched.params_at[0]
        p = self.params
        self.layout = BlockLayout(p.n_actors, p.n_channels, p.n_agenda)
        self.stream = replication_generator(root, self.replication)
        self.round = 0
        self.horizon = spec.run.rounds
        self.channel_open = p.channel_open0.copy()
        self.channel_up = p.channel_open0.copy()
        self.summits: list[tuple[int, int, float]] = []  # channel, end round, boost
        self._before_summit: dict[int, bool] = {}  # channel -> open state before its summits
        self.agreed = np.full(p.n_agenda, -1)  # round reached, -1 not reached
        self.agreement_rungs = np.zeros((p.n_agenda, 2), dtype=np.int64)
        self.deconfliction_bonus = np.zeros(p.n_channels)
        self.incident_factor = np.ones(p.n_actors)
        self.red_lines_clear = False
        # arrival round, from, to, claim sent, claim read, resolve, round sent
        self.inbox: list[tuple[int, int, int, bool, bool, float, int]] = []
        self._pending_settlement = False
        self.settled_streak = 0
        self.outcome_name = "unresolved"
        self.end_round: int | None = None
        self.war_cause: str | None = None
        self.nuclear = False
        self.actor_list = [StateAgent(self, i) for i in range(p.n_actors)]
        self._ts: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._counts = dict.fromkeys(COUNTS, 0)
        self.peak_rung = int(max(p.initial_rung[p.power_a], p.initial_rung[p.power_b]))
        self._collect()

    # -- lookups ----------------------------------------------------------------------------------
    def actor(self, index: int) -> StateAgent:
        """The agent at ``index`` (scenario order)."""
        return self.actor_list[index]

    def best_path(self, i: int, j: int) -> int:
        """The channel i and j talk and see each other through this round.

        Among the private channels joining them that are up, the least noisy (then the fastest,
        then the first in the file); otherwise the public channel.
        """
        p = self.params
        best = p.public
        key = (math.inf, math.inf)
        for c in range(p.n_channels):
            if c == p.public or not self.channel_up[c]:
                continue
            a, b = p.channel_ends[c]
            if {int(a), int(b)} != {i, j}:
                continue
            candidate = (float(p.noise[c]), float(p.latency[c]))
            if candidate < key:
                best, key = c, candidate
        return best

    def deconfliction_of(self, channel: int) -> float:
        """A channel's deconfliction, with what agreements added, capped at 1."""
        return min(
            1.0, float(self.params.deconfliction[channel] + self.deconfliction_bonus[channel])
        )

    def side_capability(self, index: int) -> float:
        """Capability of an actor plus that of the third parties that joined its side."""
        p = self.params
        total = float(p.capability[index])
        if p.is_power[index]:
            for agent in self.actor_list:
                if agent.joined and self._patron(agent) == index:
                    total += float(p.capability[agent.index])
        return total

    def _patron(self, agent: StateAgent) -> int:
        p = self.params
        return p.power_a if agent.alignment_a >= 0.5 else p.power_b

    def pressure_on(self, index: int) -> float:
        """Net pressure of third parties on a power: > 0 asks restraint, < 0 firmness.

        A third party presses the power it sees as the more aggressive to restrain; it presses
        its patron to stand firm when it sees the other power as the more aggressive. Each
        weighs in with its influence on that power.
        """
        p = self.params
        if not p.is_power[index]:
            return 0.0
        other = p.power_b if index == p.power_a else p.power_a
        column = 0 if index == p.power_a else 1
        total = 0.0
        for agent in self.actor_list:
            if agent.role == "power":
                continue
            mine, theirs = agent.perceived[index], agent.perceived[other]
            if mine > theirs:
                direction = 1.0
            elif theirs > mine and self._patron(agent) == index:
                direction = -1.0
            else:
                direction = 0.0
            total += float(p.influence[agent.index, column]) * direction
        return total

    # -- the round --------------------------------------------------------------------------------
    def step(self) -> None:
        """Run one round (a no-op once the crisis has ended)."""
        if not self.running:
            return
        self.begin_round()
        self.finish_round()

    def begin_round(self) -> None:
        """Phases 1-5 of the next round: up to the moment the actors decide.

        Seminar mode stops here so that a player decides on the same information as a policy
        (what they perceive this round); :meth:`finish_round` runs phases 6-9. ``step`` runs
        both, so a model stepped either way runs the very same round.
        """
        if not self.running or self._u is not None:
            raise RuntimeError("begin_round: the crisis has ended or a round is under way")
        self.round += 1
        t = self.round
        block = self.stream.random(self.layout.size)
        u = {name: self.layout.view(block, name) for name in self.layout.names}
        self._u = u
        self._scheduled_events(t)
        self._accidents(u["incident"], t)
        self._channels(u["channel_up"])
        self._talks(u["agreement"], t)
        self._messages(u["honesty"], u["misread"], t)
        for agent in self.actor_list:
            agent.perceive(u["noise"], u["noise_direction"], u["deconfliction"])
        self._count_perception(t)
        for agent in self.actor_list:
            agent.update_beliefs()

    def finish_round(self) -> None:
        """Phases 6-9 of the round that :meth:`begin_round` started: decide, move, record."""
        u = self._u
        if u is None:
            raise RuntimeError("finish_round: no round under way (call begin_round first)")
        t = self.round
        intended = self._decide(u["choice"], t)
        self._u = None
        self._move(intended, u["implementation"], u["direction"], u["friction"], float(u["war"]), t)
        if self.running:
            self._third_parties(t)
        self._collect()
        if self.running and t >= self.horizon:
            self._end("unresolved", t)

    def run(self) -> EscalationModel:
        """Step until the crisis ends or the horizon is reached; return the model."""
        while self.running:
            self.step()
        return self

    # -- phase 1 ----------------------------------------------------------------------------------
    def _scheduled_events(self, t: int) -> None:
        sched = self.sched
        self.params = sched.params_at[t]
        ended = [s for s in self.summits if s[1] == t]
        self.summits = [s for s in self.summits if s[1] != t]
        for channel, _end, _boost in ended:
            if any(s[0] == channel for s in self.summits):
                continue  # another summit on this channel still runs
            if channel in self._before_summit:
                self.channel_open[channel] = self._before_summit.pop(channel)
                self._log(t, "summit_end", channel=self.params.channel_ids[channel])
        for channel, is_open in sched.channel_events.get(t, []):
            self.channel_open[channel] = is_open
            self._log(
                t,
                "channel_open" if is_open else "channel_closed",
                channel=self.params.channel_ids[channel],
            )
        for channel, duration, boost in sched.summits.get(t, []):
            # Overlapping summits on one channel: the state before the first is restored when
            # the last ends.
            self._before_summit.setdefault(channel, bool(self.channel_open[channel]))
            self.summits.append((channel, t + duration, boost))
            self.channel_open[channel] = True
            self._log(t, "summit", channel=self.params.channel_ids[channel])
        for text in sched.descriptions.get(t, []):
            self._log(t, "scheduled", detail=text)

    # -- phase 2 ----------------------------------------------------------------------------------
    def _accidents(self, u_incident: np.ndarray, t: int) -> None:
        p = self.params
        forced = dict(self.sched.incidents.get(t, []))
        for agent in self.actor_list:
            i = agent.index
            jump = forced.get(i, 0)
            if not jump and dx.incident_occurs(
                p.incident_risk[agent.rung],
                p.incident_scale,
                self.incident_factor[i],
                u_incident[i],
            ):
                jump = 1
            agent.incident = int(min(jump, p.n_rungs - 1 - agent.rung))
            agent.apparent = agent.rung + agent.incident
            if jump:
                self._log(
                    t,
                    "incident",
                    actor=agent.actor_id,
                    rung=agent.apparent,
                    cause="scheduled" if i in forced else "accident",
                )

    # -- phase 3 ----------------------------------------------------------------------------------
    def _channels(self, u_up: np.ndarray) -> None:
        p = self.params
        self.channel_up = dx.channel_up(self.channel_open, p.reliability, u_up)
        self.channel_up[p.public] = True

    def _talks(self, u_agree: np.ndarray, t: int) -> None:
        p = self.params
        a, b = p.power_a, p.power_b
        path = self.best_path(a, b)
        if path == p.public:
            return
        # A summit between the powers intensifies talks whichever channel carries them.
        boost = max(
            [
                s[2]
                for s in self.summits
                if self.channel_up[s[0]] and {int(x) for x in p.channel_ends[s[0]]} == {a, b}
            ],
            default=1.0,
        )
        first, second = self.actor(a), self.actor(b)
        trust = 0.5 * (first.trust[b] + second.trust[a])
        share = 0.5 * (first.rung + second.rung) / (p.n_rungs - 1)
        for g in range(p.n_agenda):
            if self.agreed[g] != -1 or p.agreement_base[g] == 0:  # reached, or broken for good
                continue
            prob = dx.agreement_probability(p.agreement_base[g], trust, share, boost)
            if u_agree[g] < prob:
                self._agree(g, t)

    def _agree(self, g: int, t: int) -> None:
        p = self.params
        a, b = p.power_a, p.power_b
        self.agreed[g] = t
        self.agreement_rungs[g] = (self.actor(a).rung, self.actor(b).rung)
        self._counts["agreements"] += 1
        for i, j in ((a, b), (b, a)):
            agent = self.actor(i)
            agent.trust[j] = float(dx.shift_trust(agent.trust[j], p.agreement_trust[g]))
        self._refresh_incident_factor()
        for c in range(p.n_channels):
            if {int(x) for x in p.channel_ends[c]} == {a, b}:
                self.deconfliction_bonus[c] += p.agreement_deconfliction[g]
        if p.agreement_clarifies[g]:
            self.red_lines_clear = True
        self._log(t, "agreement", detail=f"{p.agreement_kind[g]} on {p.agenda_ids[g]}")
        if p.agenda_core[g] and p.core_settles:
            self._pending_settlement = True

    def _messages(self, u_honest: np.ndarray, u_misread: np.ndarray, t: int) -> None:
        """Every actor tells each partner it reaches privately whether it is benign.

        The truth is "benign" unless the sender's last deliberate move was a step up. An honest
        sender (probability ``honesty``) tells the truth and its true resolve; a dishonest one
        claims to be benign and bluffs maximal resolve (Fearon 1995: the incentive to
        misrepresent). A message is misread (its claim flipped) with the path's misread
        probability and arrives after the path's latency.
        """
        p = self.params
        for sender in self.actor_list:
            i = sender.index
            truth = sender.deliberate_change <= 0
            chosen = self._human_message(sender, t)
            for j in range(p.n_actors):
                if j == i:
                    continue
                path = self.best_path(i, j)
                if path == p.public:
                    continue  # public statements carry commitments, not private assurances
                if chosen == "none":
                    continue
                if chosen is None:
                    honest = bool(u_honest[i, j] < p.honesty[i])
                    sent = truth if honest else True
                    resolve = float(p.resolve[i]) if honest else 1.0
                else:
                    # A player's own words: a reassurance claims benign intent with the
                    # actor's true resolve; a warning claims hostile intent and full resolve.
                    # Honest exactly when the claim matches the last deliberate move.
                    sent = chosen == "reassure"
                    honest = sent == truth
                    resolve = float(p.resolve[i]) if sent else 1.0
                misread = bool(u_misread[i, j] < p.misread[path])
                claim = (not sent) if misread else sent
                self._counts["messages_sent"] += 1
                self._counts["messages_misread"] += int(misread)
                self.inbox.append((t + int(p.latency[path]), i, j, sent, claim, resolve, t))
                self._log(
                    t,
                    "message",
                    actor=sender.actor_id,
                    target=p.ids[j],
                    channel=p.channel_ids[path],
                    detail=("benign" if claim else "hostile")
                    + (", misread" if misread else "")
                    + ("" if honest else ", dishonest"),
                )
        due = [m for m in self.inbox if m[0] <= t]
        self.inbox = [m for m in self.inbox if m[0] > t]
        for _, i, j, sent, claim, resolve, sent_round in due:
            self.actor(j).receive(i, sent, claim, resolve, sent_round)
            self._counts["messages_delivered"] += 1

    def _human_message(self, sender: StateAgent, t: int) -> str | None:
        """The message a player chose with their move of round ``t - 1`` (None: not a player)."""
        if sender.actor_id not in self.human_messages:
            return None
        chosen = self.human_messages[sender.actor_id]
        return chosen[t - 2] if 0 <= t - 2 < len(chosen) else "none"

    def note_consistency(self, sender: int, receiver: int, consistent: bool) -> None:
        """Record a word-deed comparison (for the signal-action divergence metric)."""
        self._counts["claims_checked"] += 1
        self._counts["claims_contradicted"] += int(not consistent)

    # -- phase 4 bookkeeping ----------------------------------------------------------------------
    def _count_perception(self, t: int) -> None:
        for agent in self.actor_list:
            if not agent.decides:
                continue
            j = agent.adversary
            other = self.actor(j)
            self._counts["observations"] += 1
            if agent.perceived[j] != other.rung:
                self._counts["perception_errors"] += 1
                self._log(
                    t,
                    "misperception",
                    actor=agent.actor_id,
                    target=other.actor_id,
                    rung=int(agent.perceived[j]),
                    detail=f"true rung {other.rung}",
                )
            if agent.perceived_move[j] > 0 and other.deliberate_change <= 0:
                self._counts["false_alarms"] += 1

    # -- phase 6 ----------------------------------------------------------------------------------
    def _decide(self, u_choice: np.ndarray, t: int) -> dict[int, tuple[int, str]]:
        p = self.params
        intended: dict[int, tuple[int, str]] = {}
        for agent in self.actor_list:
            if not agent.decides:
                continue
            i = agent.index
            spec = p.policies[i]
            policy = POLICIES[spec.name]
            traits = agent.actor_traits()
            seen = agent.observation(truth=self.perfect_information)
            if spec.name == "human":
                move = self._human_move(agent, t)
                truth_move = move
            else:
                chosen, memory = policy.decide(
                    seen, traits, p, spec, agent.memory, float(u_choice[i])
                )
                truth_chosen, _ = policy.decide(
                    agent.observation(truth=True), traits, p, spec, agent.memory, float(u_choice[i])
                )
                move, truth_move = int(chosen), int(truth_chosen)
                agent.memory = tuple(np.asarray(m).item() for m in memory)
            raises = self._raises(agent.rung, move)
            miscalc = move != truth_move
            self._counts["decisions"] += 1
            self._counts["miscalculations"] += int(miscalc)
            cause = "deliberate"
            if raises and not self._raises(agent.rung, truth_move):
                cause = "miscalculated"
                self._counts["miscalculated_escalations"] += 1
            elif raises and agent.role == "third_party":
                cause = "third_party"
            elif raises and isinstance(policy, Quantal) and seen.pressure != 0:
                calm = type(seen)(**{**seen.__dict__, "pressure": 0.0})
                if not self._raises(
                    agent.rung,
                    int(policy.decide(calm, traits, p, spec, agent.memory, float(u_choice[i]))[0]),
                ):
                    cause = "third_party"
            if miscalc:
                self._log(
                    t,
                    "miscalculation",
                    actor=agent.actor_id,
                    move=dx.MOVE_NAMES[move],
                    detail=f"with perfect information: {dx.MOVE_NAMES[truth_move]}",
                )
            intended[i] = (move, cause)
        return intended

    def _human_move(self, agent: StateAgent, t: int) -> int:
        moves = self.human_moves.get(agent.actor_id, [])
        if t > len(moves):
            raise HumanMoveRequiredError(
                f"round {t}: no move given for {agent.actor_id} (policy human)"
            )
        return dx.MOVE_CODES[moves[t - 1]]

    def _raises(self, rung: int, move: int) -> bool:
        p = self.params
        return int(dx.target_rung(rung, move, p.jump, p.n_rungs)) > rung

    # -- phase 7 ----------------------------------------------------------------------------------
    def _move(
        self,
        intended: dict[int, tuple[int, str]],
        u_impl: np.ndarray,
        u_dir: np.ndarray,
        u_fric: np.ndarray,
        u_war: float,
        t: int,
    ) -> None:
        p = self.params
        conceded: list[int] = []
        causes: dict[int, str] = {}
        for agent in self.actor_list:
            i = agent.index
            if i not in intended:
                agent.intended_move = dx.HOLD
                agent.deliberate_change = 0
                agent.last_move = dx.HOLD
                continue
            move, cause = intended[i]
            agent.intended_move = move
            # What it deliberately did: its choice, after friction, without implementation
            # error -- the "true move" that perfect information attributes correctly.
            deliberate = int(dx.friction(move, u_fric[i], p.friction))
            agent.deliberate_change = (
                int(dx.target_rung(agent.rung, deliberate, p.jump, p.n_rungs)) - agent.rung
            )
            made = int(
                dx.implementation_error(
                    move, agent.rung, u_impl[i], p.implementation_error, u_dir[i], p.n_rungs
                )
            )
            if made != move:
                cause = "accident"
            made = int(dx.friction(made, u_fric[i], p.friction))
            agent.last_move = made
            causes[i] = cause
            if made == dx.CONCEDE:
                conceded.append(i)
        # All moves apply at once.
        before = {a.index: a.rung for a in self.actor_list}
        for agent in self.actor_list:
            if agent.index in causes:
                agent.rung = int(dx.target_rung(agent.rung, agent.last_move, p.jump, p.n_rungs))
        for agent in self.actor_list:
            i = agent.index
            if i not in causes:
                continue
            change = agent.rung - before[i]
            if agent.role == "power":
                self._counts["escalations"] += int(change > 0)
                self._counts["deescalations"] += int(change < 0)
            if change > 0:
                agent.committed = agent.role == "power" or agent.committed
                self._log(
                    t,
                    "escalation",
                    actor=agent.actor_id,
                    rung=agent.rung,
                    move=dx.MOVE_NAMES[agent.last_move],
                    cause=causes[i],
                )
            elif change < 0:
                agent.committed = False
                self._log(
                    t,
                    "deescalation",
                    actor=agent.actor_id,
                    rung=agent.rung,
                    move=dx.MOVE_NAMES[agent.last_move],
                    cause="deliberate" if agent.intended_move == agent.last_move else "accident",
                )
        self._check_breaches({i for i in causes if self.actor(i).rung > before[i]}, t)
        a, b = self.actor(p.power_a), self.actor(p.power_b)
        self.peak_rung = max(self.peak_rung, a.rung, b.rung)
        if p.nuclear_rung is not None and max(a.rung, b.rung) >= p.nuclear_rung:
            self.nuclear = True
        # A concession ends the crisis at once, before this round's war draw.
        powers_conceding = [i for i in conceded if p.is_power[i]]
        if powers_conceding and p.capitulation:
            if len(powers_conceding) == 2:
                self._end("settlement", t, detail="both powers backed down")
            else:
                loser = powers_conceding[0]
                self._end(
                    "capitulation_a" if loser == p.power_a else "capitulation_b",
                    t,
                    detail=f"{p.ids[loser]} conceded",
                )
            return
        risk = float(dx.war_probability(p.war_risk, a.rung, b.rung, p.war_rung))
        for agent in (a, b):
            agent.cumulative_risk = float(dx.cumulative_risk(agent.cumulative_risk, risk))
        if u_war < risk:
            at_war_rung = p.war_rung is not None and max(a.rung, b.rung) >= p.war_rung
            climber = a if a.rung >= b.rung else b
            self.war_cause = (
                causes.get(climber.index, "deliberate") if at_war_rung else "brinkmanship"
            )
            self._log(t, "war", actor=climber.actor_id, rung=climber.rung, cause=self.war_cause)
            self._end("war", t)
            return
        if self._pending_settlement:
            self._end("settlement", t, detail="agreement on a core agenda item")
            return
        if max(a.rung, b.rung) <= p.settlement_rung:
            self.settled_streak += 1
        else:
            self.settled_streak = 0
        if p.settlement_rounds is not None and self.settled_streak >= p.settlement_rounds:
            self._end("settlement", t, detail=f"{self.settled_streak} rounds at the lowest rungs")

    def _check_breaches(self, climbed: set[int], t: int) -> None:
        """Agreements broken this round, found after every move is applied.

        A power that climbed to more than one rung above its rung at the agreement breaks it;
        the other side loses ``breach_trust_cost`` of trust; when both break it at once, both
        lose. The agreement's incident-risk effect ends for both, and a broken core item no
        longer settles the crisis.
        """
        p = self.params
        a, b = p.power_a, p.power_b
        for g in range(p.n_agenda):
            if self.agreed[g] < 0:
                continue
            breakers = [
                i
                for column, i in enumerate((a, b))
                if i in climbed and self.actor(i).rung > self.agreement_rungs[g, column] + 1
            ]
            if not breakers:
                continue
            self.agreed[g] = -2  # broken: never again in this crisis
            self._counts["agreements_broken"] += 1
            for i in breakers:
                other = self.actor(b if i == a else a)
                other.trust[i] = float(dx.shift_trust(other.trust[i], -p.agreement_breach_cost[g]))
                self._log(t, "agreement_broken", actor=p.ids[i], detail=p.agenda_ids[g])
            if p.agenda_core[g]:
                self._pending_settlement = False
        self._refresh_incident_factor()

    def _refresh_incident_factor(self) -> None:
        """Each power's incident-risk factor: the product over agreements in force."""
        p = self.params
        factor = float(
            np.prod(
                [p.agreement_incident_factor[g] for g in range(p.n_agenda) if self.agreed[g] >= 0]
            )
        )
        self.incident_factor[:] = 1.0
        self.incident_factor[[p.power_a, p.power_b]] = factor

    # -- phase 8 ----------------------------------------------------------------------------------
    def _third_parties(self, t: int) -> None:
        p = self.params
        a, b = p.power_a, p.power_b
        for agent in self.actor_list:
            if agent.role == "power":
                continue
            gap = float(agent.perceived[b] - agent.perceived[a])
            agent.alignment_a = float(dx.realign(agent.alignment_a, gap))
            hottest = max(self.actor(a).rung, self.actor(b).rung)
            if p.may_mediate[agent.index] and hottest >= 2:
                for c in range(p.n_channels):
                    if p.channel_via[c] == agent.index and not self.channel_open[c]:
                        self.channel_open[c] = True
                        self._log(t, "mediation", actor=agent.actor_id, channel=p.channel_ids[c])
            patron = self._patron(agent)
            foe = b if patron == a else a
            if (
                p.may_join[agent.index]
                and not agent.joined
                and agent.perceived[foe] >= p.red_line[agent.index]
            ):
                agent.joined = True
                self._log(
                    t,
                    "involvement",
                    actor=agent.actor_id,
                    target=p.ids[patron],
                    cause="third_party",
                )

    # -- endings and data -------------------------------------------------------------------------
    def _end(self, outcome: str, t: int, detail: str = "") -> None:
        self.outcome_name = outcome
        self.end_round = t
        self.running = False
        self._log(t, "end", detail=f"{outcome}: {detail}" if detail else outcome)

    def _log(self, t: int, kind: str, **fields: Any) -> None:
        row = {
            "round": t,
            "kind": kind,
            "actor": None,
            "target": None,
            "channel": None,
            "move": None,
            "rung": None,
            "cause": None,
            "detail": None,
        }
        row.update(fields)
        self._events.append(row)

    def _collect(self) -> None:
        for agent in self.actor_list:
            j = agent.adversary
            self._ts.append(
                {
                    "round": self.round,
                    "actor": agent.actor_id,
                    "role": agent.role,
                    "rung": agent.rung,
                    "apparent": agent.apparent,
                    "perceived_adversary": int(agent.perceived[j]),
                    "hostility": float(agent.hostility[j]),
                    "trust": float(agent.trust[j]),
                    "alignment_a": agent.alignment_a,
                    "committed": agent.committed,
                    "joined": agent.joined,
                }
            )

    def event_log(self) -> list[dict[str, Any]]:
        """The events so far, one dict per event (the live log; :attr:`events` frames a copy)."""
        return self._events

    # -- frames -----------------------------------------------------------------------------------
    @property
    def timeseries(self) -> pd.DataFrame:
        """One row per round × actor: posture, apparent posture, perception, belief, trust."""
        frame = pd.DataFrame(self._ts)
        frame.insert(0, "replication", self.replication)
        frame.insert(0, "condition", self.condition)
        return frame

    @property
    def events(self) -> pd.DataFrame:
        """One row per event: message, incident, misperception, miscalculation, move, ending."""
        frame = typed_events(pd.DataFrame(self._events, columns=list(EVENT_COLUMNS)))
        frame.insert(0, "replication", self.replication)
        frame.insert(0, "condition", self.condition)
        return frame

    @property
    def outcome(self) -> pd.DataFrame:
        """One row for the run: outcome, when, peak and final rung, and every run metric."""
        p = self.params
        c = self._counts
        a, b = self.actor(p.power_a), self.actor(p.power_b)
        thirds = [ag.alignment_a for ag in self.actor_list if ag.role != "power"]
        row = {
            "condition": self.condition,
            "replication": self.replication,
            "seed": self.seed_root,
            "perfect_information": self.perfect_information,
            "outcome": self.outcome_name,
            "end_round": self.end_round,
            "war": self.outcome_name == "war",
            "war_cause": self.war_cause,
            "nuclear": self.nuclear,
            "peak_rung": self.peak_rung,
            "final_rung": max(a.rung, b.rung),
            "escalations": c["escalations"],
            "deescalations": c["deescalations"],
            "decisions": c["decisions"],
            "miscalculations": c["miscalculations"],
            "miscalculation_rate": c["miscalculations"] / c["decisions"] if c["decisions"] else 0.0,
            "miscalculated_escalations": c["miscalculated_escalations"],
            "perception_errors": c["perception_errors"],
            "perception_error_rate": (
                c["perception_errors"] / c["observations"] if c["observations"] else 0.0
            ),
            "false_alarms": c["false_alarms"],
            "messages_sent": c["messages_sent"],
            "messages_delivered": c["messages_delivered"],
            "messages_misread": c["messages_misread"],
            "agreements": c["agreements"],
            "agreements_broken": c["agreements_broken"],
            "signal_action_divergence": (
                c["claims_contradicted"] / c["claims_checked"] if c["claims_checked"] else 0.0
            ),
            "final_trust": 0.5 * (a.trust[b.index] + b.trust[a.index]),
            "polarisation": float(dx.polarisation(np.array(thirds))),
        }
        return pd.DataFrame([row]).astype(
            {"condition": "str", "outcome": "str", "war_cause": "str"}
        )
