"""The results of a run: tidy frames, statistics, figures, and a self-describing folder."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pandas as pd

from escalsim.scenario import Scenario

#: Files of a run folder.
RUNS, TIMESERIES, EVENTS, SUMMARY, MANIFEST = (
    "runs.parquet",
    "timeseries.parquet",
    "events.parquet",
    "summary.csv",
    "manifest.json",
)
#: The metrics the forest plot shows (all of them are in summary.csv and the JSON).
KEY_METRICS = (
    "p_war",
    "p_war_attributable",
    "p_nuclear",
    "mean_peak_rung",
    "miscalculation_rate",
    "miscalculated_escalations_per_run",
    "perception_error_rate",
    "final_trust",
)
#: Figure file names, by the Results method that draws them.
FIGURES = {
    "plot_fan": "ladder_fan.png",
    "plot_war": "war_by_round.png",
    "plot_forest": "condition_effects.png",
    "plot_network": "channel_network.png",
    "plot_causes": "escalation_causes.png",
}


def canonical_scenario(spec: Scenario) -> tuple[dict[str, Any], str]:
    """The validated scenario as canonical JSON data, and its sha256."""
    data = spec.model_dump(mode="json")
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return data, hashlib.sha256(text.encode("utf-8")).hexdigest()


def versions() -> dict[str, str]:
    """Versions of escalsim, its main dependencies, and Python."""
    out = {name: version(name) for name in ("escalsim", "mesa", "numpy", "pandas", "pyarrow")}
    out["python"] = platform.python_version()
    return out


@dataclass
class Results:
    """What a run produced.

    Attributes
    ----------
    scenario : Scenario
        The scenario run (base; conditions are in it).
    runs : pandas.DataFrame
        One row per (condition, replication): outcome and every run metric.
    timeseries : pandas.DataFrame
        Round × actor rows of the kept replications (``manifest['kept_replications']`` per
        condition: the first ones).
    events : pandas.DataFrame
        Events of the kept replications.
    manifest : dict
        Seed, replications, conditions, engine, versions, wall time, ...
    """

    scenario: Scenario
    runs: pd.DataFrame
    timeseries: pd.DataFrame
    events: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)

    # -- statistics ----------------------------------------------------------------------------
    @property
    def baseline(self) -> str:
        """The condition differences are taken against."""
        return str(self.manifest.get("baseline") or self.runs["condition"].iloc[0])

    def summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Each metric per condition with its confidence interval and Monte Carlo SE."""
        from escalsim.experiment import stats

        return stats.summary(self.runs, confidence=confidence)

    def compare(self, baseline: str | None = None, confidence: float = 0.95) -> pd.DataFrame:
        """Paired differences of each condition against the baseline, with CIs."""
        from escalsim.experiment import stats

        return stats.differences(self.runs, baseline or self.baseline, confidence=confidence)

    def contract(self) -> dict[str, Any]:
        """The JSON contract printed by ``escalsim run --format json``."""
        from escalsim.experiment import stats

        body = stats.to_contract(self.summary(), self.compare())
        head = {
            k: self.manifest.get(k)
            for k in ("scenario_id", "seed", "replications", "baseline", "twin", "engine")
        }
        return {**head, **body}

    # -- figures -------------------------------------------------------------------------------
    def plot_fan(self) -> Any:
        """Ladder trajectories per condition: median and 50/90% bands."""
        from escalsim.viz import figures

        return figures.fan_chart(self.timeseries, self.scenario)

    def plot_war(self) -> Any:
        """Cumulative P(war) by round per condition."""
        from escalsim.viz import figures

        return figures.war_survival(
            self.runs, int(self.manifest.get("rounds") or self.scenario.run.rounds)
        )

    def plot_forest(self) -> Any:
        """Paired condition effects with their CIs."""
        from escalsim.viz import figures

        diffs = self.compare()
        wanted = [m for m in KEY_METRICS if m in set(diffs["metric"])]
        return figures.forest_plot(diffs, metrics=wanted)

    def plot_network(self) -> Any:
        """The channel network."""
        from escalsim.viz import figures

        return figures.channel_network(self.scenario)

    def plot_causes(self) -> Any:
        """Escalation steps per run by cause."""
        from escalsim.viz import figures

        kept = (
            self.timeseries.groupby("condition")["replication"].nunique().to_dict()
            if len(self.timeseries)
            else None
        )
        return figures.escalation_causes(self.events, replications=kept)

    def save_figures(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Draw every figure into ``folder``; return the files written."""
        from escalsim.viz import figures

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for method, name in FIGURES.items():
            if method == "plot_forest" and len(self.runs["condition"].unique()) < 2:
                continue  # no difference to show with one condition
            fig = getattr(self, method)()
            written.append(figures.save_figure(fig, folder / name))
        return written

    # -- storage -------------------------------------------------------------------------------
    def save(self, folder: str | os.PathLike[str], *, plots: bool = True) -> Path:
        """Write the run folder atomically: it appears complete under its name, or not at all.

        Everything is written into a hidden sibling folder, which is then renamed; an
        interrupted save leaves only that hidden ``.*.partial`` folder behind.
        """
        final = Path(folder)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            raise FileExistsError(f"{final} exists; choose another --out")
        # Not tempfile.mkdtemp: its 0700 mode would survive the rename; mkdir honours the umask.
        temp = final.parent / f".{final.name}.{os.getpid()}.{secrets.token_hex(4)}.partial"
        temp.mkdir()
        try:
            self.runs.to_parquet(temp / RUNS, index=False)
            self.timeseries.to_parquet(temp / TIMESERIES, index=False)
            self.events.to_parquet(temp / EVENTS, index=False)
            self.summary().to_csv(temp / SUMMARY, index=False)
            data, digest = canonical_scenario(self.scenario)
            manifest = {
                **self.manifest,
                "scenario_sha256": digest,
                "versions": versions(),
                "created": self.manifest.get("created")
                or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "files": {
                    "runs": RUNS,
                    "timeseries": TIMESERIES,
                    "events": EVENTS,
                    "summary": SUMMARY,
                },
                "scenario": data,
            }
            (temp / MANIFEST).write_text(
                json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            if plots:
                self.save_figures(temp)
            os.replace(temp, final)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        return final

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> Results:
        """Read a run folder written by :meth:`save`."""
        folder = Path(folder)
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        scenario = Scenario.model_validate(manifest["scenario"])
        meta = {k: v for k, v in manifest.items() if k != "scenario"}
        return cls(
            scenario=scenario,
            runs=pd.read_parquet(folder / RUNS),
            timeseries=pd.read_parquet(folder / TIMESERIES),
            events=pd.read_parquet(folder / EVENTS),
            manifest=meta,
        )
