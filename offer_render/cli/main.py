"""Parse the ``offer-render`` command line and run a subcommand; map errors to exit codes.

Exit codes (README "Use it"): 0 done; 1 a resource could not be had, rendering
failed or a file could not be written; 2 invalid input or usage; batch adds 3
(some item failed) and 128 + the signal number. No traceback reaches the user
unless ``OFFER_RENDER_DEBUG=1`` is set. ``python -m offer_render`` runs the same.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from offer_render.cli.batch import command as batch_command
from offer_render.cli.doctor import command as doctor_command
from offer_render.cli.flags import FlagGroup
from offer_render.cli.fonts import command as fonts_command
from offer_render.cli.lint import command as lint_command
from offer_render.cli.logs import QUIET_KEY, configure, preserved
from offer_render.cli.preview import command as preview_command
from offer_render.cli.render import command as render_command
from offer_render.cli.serve import command as serve_command
from offer_render.cli.worker import command as worker_command
from offer_render.errors import OfferRenderError


@click.group(cls=FlagGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="offer-render")
@click.option("-v", "--verbose", count=True,
              help="Log more on stderr: -v what the engine does (and font library warnings), "
                   "-vv debugging detail.")
@click.option("-q", "--quiet", is_flag=True,
              help="Only errors on stderr: no warnings, no batch progress. Results still print.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """Render offer images from image_template JSON, as a browser would draw them."""
    if verbose and quiet:
        msg = "-v and -q cannot be used together"
        raise click.UsageError(msg)
    configure(verbose, quiet)
    ctx.meta[QUIET_KEY] = quiet


@cli.command()
@click.option("-o", "--output", "out_dir", default="offer-render-demo", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the images.")
def demo(out_dir: Path) -> None:
    """Render the bundled examples offline into a folder, with their reports."""
    from offer_render.cli.demo import run_demo

    run_demo(out_dir)


cli.add_command(render_command)
cli.add_command(batch_command)
cli.add_command(preview_command)
cli.add_command(lint_command)
cli.add_command(fonts_command)
cli.add_command(doctor_command)
cli.add_command(serve_command)
cli.add_command(worker_command)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; print errors as one line and exit with the code the error maps to.

    The logging set up for the run is undone when it ends, so a program (or a test)
    that calls ``main()`` in its own process keeps its own logging.
    """
    with preserved():
        _run(argv)


def _run(argv: list[str] | None) -> None:
    try:
        rc = cli.main(args=argv, prog_name="offer-render", standalone_mode=False)
        sys.exit(rc if isinstance(rc, int) else 0)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except click.Abort:
        click.echo("offer-render: aborted", err=True)
        sys.exit(130)
    except OfferRenderError as exc:
        click.echo(f"offer-render: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("offer-render: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: say so in one line, keep the traceback for debugging
        if os.environ.get("OFFER_RENDER_DEBUG") == "1":
            raise
        click.echo(
            f"offer-render: internal error: {type(exc).__name__}: {exc} "
            "(set OFFER_RENDER_DEBUG=1 for the traceback)",
            err=True,
        )
        sys.exit(1)
