"""The ``migrate`` command: rewrite a version-1 or version-2 scenario file in the current format."""

from __future__ import annotations

import os
from pathlib import Path

import click

from escalsim.cli.options import out_file_option
from escalsim.cli.scenarios import write_file


@click.command()
@click.argument("file", metavar="FILE")
@out_file_option("the migrated scenario")
@click.option(
    "--in-place",
    is_flag=True,
    help="Rewrite FILE itself (instead of printing the migrated scenario on stdout).",
)
def migrate(file: str, out_file: Path | None, in_place: bool) -> None:
    """Rewrite a schema_version 1 or 2 scenario FILE as schema_version 3.

    Version 2 added the blocks `stakes`, `war` and `beliefs`; a version-1 file gets them with
    their defaults (the discount from `run.time_unit`). Version 3 adds `war.ends_run`, written
    `true` (version 2's ending), and fields whose defaults are version 2's meaning. Every other
    line of FILE is kept as it is, comments included (docs/scenario-format.md, 'Version 3').
    The migrated scenario goes to stdout, to --out, or over FILE (--in-place); what changed
    goes to stderr. A file with problems gets them at their lines and columns, and nothing is
    written (exit 2). A file already in version 3 is left as it is (--out copies it).
    """
    from escalsim.scenario.migrate import migrate_file
    from escalsim.scenario.schema import SCHEMA_VERSION

    if in_place and out_file is not None:
        raise click.UsageError("give --out FILE or --in-place, not both")
    text, migration = migrate_file(file)
    if migration is None:
        click.echo(f"{file}: already schema_version {SCHEMA_VERSION}; nothing to migrate", err=True)
        if in_place:
            return
    else:
        click.echo(
            f"{file}: schema_version {migration.from_version} -> {SCHEMA_VERSION}; "
            f"what changed:\n{migration.listing}",
            err=True,
        )
    if in_place:
        target = Path(file).resolve()  # a symbolic link's target, not the link
        mode = target.stat().st_mode
        write_file(target, text)
        os.chmod(target, mode & 0o7777)
        click.echo(f"wrote {file} (schema_version {SCHEMA_VERSION})", err=True)
    elif out_file is not None:
        write_file(out_file, text)
        click.echo(f"wrote {out_file} (schema_version {SCHEMA_VERSION})", err=True)
    else:
        click.echo(text, nl=False)
