"""The ``cdsim`` command line: run, validate, batch, experiment, plot, compare, report,
policies."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sim import __version__, tables
from sim.config import load_scenario, scale_warnings
from sim.errors import InputError
from sim.metrics import check_own_names
from sim.outcomes import UserCodeError
from sim.store import file_name, timestamp

DEFAULT_SCENARIO = "scenarios/asean_way.yaml"

EXIT_BAD_INPUT = 2
FIGURE_FORMATS = ("png", "svg", "pdf")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InputError as err:  # bad input of any kind: scenario, results folder, figures...
        for line in str(err).splitlines() or [""]:  # every problem of a file, a line each
            print(f"error: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a command that stopped reading (e.g. head)
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
        return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests)."""
    parser = argparse.ArgumentParser(
        prog="cdsim",
        description="Agent-based simulation of collective defence among member states.",
    )
    parser.add_argument("--version", action="version", version=f"cdsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run one scenario and summarise its outcomes")
    run.add_argument(
        "scenario", nargs="?", default=None,
        help=f"scenario file (default: {DEFAULT_SCENARIO})",
    )  # fmt: skip
    _add_overrides(run)
    run.add_argument("--seed", type=_seed, help="run seed (default: the scenario's 'seed')")
    run.add_argument("--steps", type=_positive_int, help="number of steps (months by default)")
    run.add_argument(
        "--out", type=Path,
        help="output folder (default: results/<scenario>-<date-time>)",
    )  # fmt: skip
    run.add_argument(
        "--csv", action="store_true",
        help="also write every table as CSV (steps.csv, members.csv, threats.csv, ...)",
    )  # fmt: skip
    run.set_defaults(func=cmd_run)

    validate = sub.add_parser("validate", help="check a scenario file without running it")
    validate.add_argument(
        "scenario", nargs="?", default=None, help=f"scenario file (default: {DEFAULT_SCENARIO})"
    )
    _add_overrides(validate)
    validate.set_defaults(func=cmd_validate)

    batch = sub.add_parser(
        "batch", help="run one scenario many times and summarise outcome statistics"
    )
    batch.add_argument("scenario", help="scenario file")
    batch.add_argument(
        "--replications", "-n", type=_positive_int, default=30,
        help="number of runs (default: 30); run r uses the r-th seed drawn from --seed",
    )  # fmt: skip
    batch.add_argument("--seed", type=_seed, default=0, help="root seed of the runs' seeds")
    _add_overrides(batch)
    _add_batch_options(batch)
    batch.set_defaults(func=cmd_batch)

    experiment = sub.add_parser(
        "experiment",
        help="run an experiment file: variants x (parameter grid or sampled design) x replications",
    )
    experiment.add_argument("experiment", help="experiment file (see experiments/)")
    experiment.add_argument(
        "--replications", "-n", type=_positive_int, help="override the file's replications"
    )
    experiment.add_argument("--seed", type=_seed, help="override the file's root seed")
    _add_overrides(experiment)
    _add_batch_options(experiment)
    experiment.set_defaults(func=cmd_experiment)

    plot = sub.add_parser("plot", help="the standard figures of a results folder")
    plot.add_argument("results", type=Path, help="results folder of cdsim run/batch/experiment")
    plot.add_argument("--out", type=Path, help="folder for the figures (default: RESULTS/figures)")
    _add_figure_options(plot)
    plot.set_defaults(func=cmd_plot)

    compare = sub.add_parser(
        "compare", help="the comparison figures across several results folders"
    )
    compare.add_argument("results", type=Path, nargs="+", help="results folders")
    _add_labels(compare)
    compare.add_argument(
        "--out", type=Path, help="folder for the figures (default: results/compare-<date-time>)"
    )
    _add_figure_options(compare)
    compare.set_defaults(func=cmd_compare)

    report = sub.add_parser(
        "report", help="one self-contained HTML page: question, settings, tables, figures"
    )
    report.add_argument("results", type=Path, nargs="+", help="results folder(s)")
    _add_labels(report)
    report.add_argument(
        "--out", type=Path,
        help="the HTML file (default: RESULTS/report.html; with several folders "
        "results/report-<date-time>.html)",
    )  # fmt: skip
    _add_figure_options(report, formats=False)
    report.set_defaults(func=cmd_report)

    patterns = sub.add_parser(
        "check-patterns",
        help="run the validation experiments and compare the model with real-world patterns",
    )
    patterns.add_argument(
        "--only", type=_names, help="comma-separated pattern names (default: all)"
    )
    patterns.add_argument(
        "--replications", "-n", type=_positive_int,
        help="runs per pattern (default: each experiment file's, 30)",
    )  # fmt: skip
    patterns.add_argument("--seed", type=_seed, help="root seed of every pattern's runs "
                          "(default: each experiment file's)")  # fmt: skip
    _add_overrides(patterns)
    _add_batch_options(patterns)
    patterns.set_defaults(func=cmd_check_patterns)

    sens = sub.add_parser(
        "sensitivity",
        help="which parameters drive the key outcomes: Morris screening or Sobol indices",
    )
    sens.add_argument("scenario", help="scenario file")
    sens.add_argument("--method", choices=["morris", "sobol"], default="morris",
                      help="morris (screening, default) or sobol (variance shares)")  # fmt: skip
    sens.add_argument(
        "--samples", type=_positive_int,
        help="Morris trajectories (default 10) or Sobol base samples, a power of 2 (default 64)",
    )  # fmt: skip
    sens.add_argument(
        "--param", dest="params", action="append", default=[], metavar="PATH=LOW:HIGH",
        help="a parameter and its range, e.g. threats.aggression.rate=0.01:0.04 (repeatable; "
        "default: ten parameters of threats, intelligence, response, relations, economy)",
    )  # fmt: skip
    sens.add_argument("--metrics", type=_names, help="comma-separated outcome metrics")
    sens.add_argument("--replications", "-n", type=_positive_int, default=1,
                      help="runs per sample point, averaged (default 1)")  # fmt: skip
    sens.add_argument("--seed", type=_seed, default=0, help="root seed of the sample and runs")
    sens.add_argument(
        "--second-order", action="store_true",
        help="Sobol: also second-order indices of every pair (sensitivity_pairs.csv; "
        "2D+2 instead of D+2 points per base sample)",
    )  # fmt: skip
    sens.add_argument("--steps", type=_positive_int, help="steps per run (default: scenario's)")
    _add_overrides(sens)
    _add_batch_options(sens)
    sens.add_argument("--format", type=_names, default=["png", "svg"],
                      help="figure formats (default: png,svg)")  # fmt: skip
    sens.set_defaults(func=cmd_sensitivity)

    discover = sub.add_parser(
        "discover",
        help="scenario discovery: the regions of the inputs where an outcome occurs (PRIM; "
        "pip install 'cdsim[discovery]')",
    )  # fmt: skip
    discover.add_argument("results", type=Path, metavar="RESULTS",
                          help="results folder (an experiment or batch)")  # fmt: skip
    discover.add_argument(
        "--outcome", required=True, metavar="EXPR",
        help="a condition over the runs' columns, e.g. 'damage_pct_gdp_per_year > 1'; "
        "metric[variant] is the metric in that variant's run at the same point and "
        "replication, e.g. 'total_cost_pct_gdp_per_year[non_intervention] < "
        "total_cost_pct_gdp_per_year[collective_commitment]'",
    )  # fmt: skip
    bound = discover.add_mutually_exclusive_group()
    bound.add_argument("--above", type=_finite, metavar="X",
                       help="the outcome is EXPR > X (EXPR then a metric)")  # fmt: skip
    bound.add_argument("--below", type=_finite, metavar="X",
                       help="the outcome is EXPR < X (EXPR then a metric)")  # fmt: skip
    discover.add_argument(
        "--inputs", type=_names, metavar="NAMES",
        help="comma-separated inputs PRIM may restrict (default: every varied parameter; "
        "'variant' too when the cases are runs)",
    )  # fmt: skip
    discover.add_argument("--threshold", type=_finite, default=0.8, metavar="D",
                          help="least density of a box (default 0.8)")  # fmt: skip
    discover.add_argument("--peel-alpha", type=_finite, default=0.05, metavar="A",
                          help="share of the cases peeled per step (default 0.05)")  # fmt: skip
    discover.add_argument("--mass-min", type=_finite, default=0.05, metavar="M",
                          help="least share of all cases in a box (default 0.05)")  # fmt: skip
    discover.add_argument("--boxes", type=_positive_int, default=1, metavar="K",
                          help="boxes to find, one after the other (default 1)")  # fmt: skip
    discover.add_argument("--out", type=Path, metavar="DIR",
                          help="folder (default: RESULTS/discovery)")  # fmt: skip
    discover.add_argument("--format", type=_names, default=["png", "svg"], metavar="FORMATS",
                          help="figure formats (default: png,svg; also pdf)")  # fmt: skip
    discover.set_defaults(func=cmd_discover)

    view = sub.add_parser(
        "view", help="watch a scenario run in the browser (Mesa SolaraViz; pip install '.[viz]')"
    )
    view.add_argument(
        "scenario", nargs="?", default=None, help=f"scenario file (default: {DEFAULT_SCENARIO})"
    )
    _add_overrides(view)
    view.add_argument("--seed", type=_seed, help="the seed the page starts with")
    view.add_argument("--port", type=_positive_int, default=8765, help="port (default 8765)")
    view.add_argument("--host", default="localhost", help="host to serve on (default localhost)")
    view.add_argument("--no-open", action="store_true", help="do not open a browser window")
    view.set_defaults(func=cmd_view)

    policies = sub.add_parser("policies", help="list the available policies")
    policies.set_defaults(func=cmd_policies)

    generate = sub.add_parser(
        "generate", help="write a synthetic group of any size, for scaling studies"
    )
    generate.add_argument("--members", type=_positive_int, required=True, help="group size")
    generate.add_argument("--out", type=Path, required=True, help="scenario file to write")
    generate.add_argument("--seed", type=_seed, default=0, help="generator seed (default: 0)")
    generate.add_argument("--steps", type=_positive_int, default=120, help="months (default: 120)")
    generate.add_argument(
        "--rule", default="non_intervention", help="rule preset (default: non_intervention)"
    )
    generate.add_argument("--force", action="store_true", help="overwrite an existing file")
    generate.set_defaults(func=cmd_generate)

    completion = sub.add_parser(
        "completion",
        help='print a shell completion script, e.g. eval "$(cdsim completion bash)"',
    )
    completion.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    completion.set_defaults(func=cmd_completion)
    return parser


def _add_overrides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a scenario field by dotted path, e.g. rules.preset=collective_commitment "
        "or members.Laos.policy=free_rider (repeatable; values are YAML)",
    )  # fmt: skip


def _add_batch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workers", "-j", type=_positive_int, default=None,
        help="local worker processes (default: all cores)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, help="results folder (default: results/<name>-<date-time>)"
    )
    parser.add_argument(
        "--resume", action="store_true",
        help="complete the results folder an interrupted batch left (needs --out)",
    )  # fmt: skip
    parser.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="run on a Dask cluster, e.g. tcp://HOST:8786 (pip install 'cdsim[dask]')",
    )  # fmt: skip
    parser.add_argument("--csv", action="store_true", help="also write runs.csv")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _add_labels(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--labels", type=_names,
        help="comma-separated labels, one per folder (default: the folder names)",
    )  # fmt: skip


def _add_figure_options(parser: argparse.ArgumentParser, formats: bool = True) -> None:
    parser.add_argument(
        "--metrics", type=_names,
        help="comma-separated outcome metrics (default: all; see the columns of runs.parquet)",
    )  # fmt: skip
    parser.add_argument(
        "--series", type=_names,
        help="comma-separated per-step columns for the time series (default: damage so far, "
        "threats active, trust, interoperability, defence spending, members remaining)",
    )  # fmt: skip
    parser.add_argument(
        "--figures", type=_names,
        help="comma-separated kinds of figure (default: all of series, distributions, "
        "differences, sweep, members, network, adaptation: the rule in force over time and "
        "the policy mix, when they change)",
    )  # fmt: skip
    parser.add_argument(
        "--edges", choices=["trust", "interoperability"], default="trust",
        help="what the network figure's lines show (default: trust)",
    )  # fmt: skip
    if formats:
        parser.add_argument(
            "--format", type=_names, default=["png", "svg"],
            help="comma-separated file formats (default: png,svg; also pdf)",
        )  # fmt: skip


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated names, got {text!r}")
    return names


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _finite(text: str) -> float:
    """A finite number (``inf`` and ``nan`` are refused like everywhere else)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _progress(args: argparse.Namespace) -> bool:
    """Progress bars only on a terminal (a redirected log gets no carriage-return frames),
    and never with --no-progress."""
    return not args.no_progress and sys.stderr.isatty()


def _seed(text: str) -> int:
    """A seed: any integer from 0 up (NumPy's seeds are non-negative)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number from 0 up, got {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"seeds are whole numbers from 0 up, got {value}")
    return value


def _scenario_path(arg: str | None) -> Path:
    """The scenario named, else ``scenarios/asean_way.yaml`` here, else the shipped one."""
    from sim import shipped

    return shipped.locate(arg if arg is not None else DEFAULT_SCENARIO)


def cmd_run(args: argparse.Namespace) -> int:
    """``cdsim run``."""
    from sim.results import run
    from sim.threats import RunawayError

    path = _scenario_path(args.scenario)
    config = load_scenario(path, args.overrides)
    check_own_names(config.outcomes, str(path))
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("results") / f"{file_name(config.name)}-{stamp}"
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        what = "a file" if not out.is_dir() else "a folder that is not empty"
        print(f"error: --out {out}: {what}; choose a new or empty folder", file=sys.stderr)
        return EXIT_BAD_INPUT
    for warning in scale_warnings(config, args.steps):
        print(f"warning: {path}: {warning}", file=sys.stderr)
    seed = args.seed if args.seed is not None else config.seed
    try:
        start, started = time.perf_counter(), timestamp()
        result = run(config, seed=args.seed, steps=args.steps)
        result.summary  # noqa: B018  (the scenario's own outcomes run here, before writing)
        result.write(out, csv=args.csv, command=["cdsim", *sys.argv[1:]],
                     duration_s=time.perf_counter() - start, started=started)  # fmt: skip
    except UserCodeError as err:  # the user's traceback, then the one line that names it
        if err.__cause__ is not None:
            traceback.print_exception(err.__cause__, file=sys.stderr)
        print(f"error: {path}: {err}", file=sys.stderr)
        return 1
    except RunawayError as err:
        print(f"error: {path}: the run was stopped at a limit: {err}", file=sys.stderr)
        return 1
    except SystemExit as err:  # a user's policy or function called sys.exit()
        print(f"error: {path}: user code called sys.exit({err.code!r}) in the run with seed "
              f"{seed}", file=sys.stderr)  # fmt: skip
        return 1
    except OSError as err:
        print(f"error: --out {out}: cannot write results ({err.strerror or err})", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(tables.run_text(result))
    print(f"\nTables written to {out}/ (figures: cdsim plot {out}; the run again: cdsim run "
          f"{out / 'scenario.yaml'})")  # fmt: skip
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    """``cdsim batch``."""
    from sim.experiment import plan, single_scenario

    load_scenario(args.scenario, args.overrides)  # one clear error before anything starts
    experiment = single_scenario(args.scenario, args.replications, args.overrides, args.seed)
    return _run_plan(plan(experiment, args.scenario), args)


def cmd_experiment(args: argparse.Namespace) -> int:
    """``cdsim experiment``."""
    from sim.experiment import load_experiment, plan, with_command_line

    experiment = with_command_line(
        load_experiment(args.experiment), args.overrides, args.seed, args.replications
    )
    return _run_plan(plan(experiment, args.experiment), args)


def _results_folder(args: argparse.Namespace, name: str) -> Path | None:
    """``--out``, or ``results/<name>-<date-time>``; None (after saying why) if ``--resume``
    is given without ``--out``."""
    if args.resume and args.out is None:
        print("error: --resume needs --out (the folder to complete)", file=sys.stderr)
        return None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return args.out or Path("results") / f"{file_name(name)}-{stamp}"


def _guarded(out: Path, call: Callable[[], Any]) -> tuple[Any, int]:
    """Run a batch; a batch error or an interruption becomes (None, exit code), said once."""
    from sim.batch import BatchInterrupted

    try:
        return call(), 0
    except BatchInterrupted as stop:
        print(f"{stop}; run the same command with --resume --out {out} to complete it",
              file=sys.stderr)  # fmt: skip
        return None, 130


def _run_plan(the_plan, args: argparse.Namespace) -> int:  # noqa: ANN001  (a Plan)
    from sim.batch import run_batch

    out = _results_folder(args, the_plan.experiment.name)
    if out is None:
        return EXIT_BAD_INPUT
    n = len(the_plan.runs)
    if the_plan.runs:
        for warning in scale_warnings(the_plan.scenario_for(the_plan.runs[0])):
            print(f"warning: {the_plan.experiment.name}: {warning}", file=sys.stderr)
    where = f"Dask cluster {args.scheduler}" if args.scheduler else (
        f"{args.workers or os.cpu_count()} worker process(es)"
    )  # fmt: skip
    print(f"{the_plan.experiment.name}: {n} runs on {where} -> {out}/", file=sys.stderr)
    outcome, code = _guarded(out, lambda: run_batch(
        the_plan, out, workers=args.workers, resume=args.resume, scheduler=args.scheduler,
        progress=_progress(args), csv=args.csv, command=["cdsim", *sys.argv[1:]],
    ))  # fmt: skip
    if outcome is None:
        return code
    print(tables.batch_text(the_plan, outcome))
    return 1 if outcome.failed else 0


def _results(args: argparse.Namespace):  # noqa: ANN202  (a ResultSet)
    """The result set of the command's folder(s); several are combined under labels."""
    from sim.resultset import combine, load

    folders = args.results if isinstance(args.results, list) else [args.results]
    sets = [load(folder) for folder in folders]
    if len(sets) == 1 and not getattr(args, "labels", None):
        return sets[0]
    labels = args.labels or [Path(folder).resolve().name for folder in folders]
    return combine(sets, labels)


def _figures(args: argparse.Namespace, rs) -> tuple[dict, list[str]]:  # noqa: ANN001
    from sim.plots import KINDS, standard_figures

    return standard_figures(
        rs, metrics=args.metrics, columns=args.series, kinds=args.figures or KINDS,
        edge=args.edges,
    )  # fmt: skip


def _check_formats(formats: list[str]) -> None:
    """Raise a one-line error for a figure format matplotlib is not asked to write here."""
    from sim.plots import check_names

    check_names(formats, FIGURE_FORMATS, "format")


#: What a figures folder holds: a folder holding anything else is not written into.
FIGURE_FILES = (".png", ".svg", ".pdf")
#: What cdsim discover writes.
DISCOVERY_FILES = (
    "boxes.csv",
    "boxes.md",
    "trajectory.csv",
    *(f"tradeoff{s}" for s in FIGURE_FILES),
)


def _own_output(out: Path, mine: Callable[[Path], bool]) -> None:
    """Refuse (InputError) to write into ``out`` if it is a file, or a folder holding any
    file this command would not have written (``mine``): nothing of a user's is overwritten
    or mixed with results."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: a file, not a folder; choose another --out")
    if out.is_dir():
        foreign = [p.name for p in out.iterdir() if not mine(p)]
        if foreign:
            shown = ", ".join(sorted(foreign)[:3]) + (", ..." if len(foreign) > 3 else "")
            raise InputError(
                f"--out {out}: holds files this command did not write ({shown}); choose a new "
                "or empty folder"
            )


def _write_figures(args: argparse.Namespace, rs, out: Path) -> int:  # noqa: ANN001
    from sim.plots import style

    _check_formats(args.format)
    _own_output(out, lambda p: p.is_file() and p.suffix in FIGURE_FILES)
    figures, notes = _figures(args, rs)
    try:
        for name, fig in figures.items():
            style.save(fig, out, name, args.format)
    except OSError as err:
        print(f"error: --out {out}: cannot write figures ({err.strerror or err})",
              file=sys.stderr)  # fmt: skip
        return EXIT_BAD_INPUT
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"{len(figures)} figures ({', '.join(args.format)}) written to {out}/")
    for name in figures:
        print(f"  {name}")
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    """``cdsim plot``."""
    rs = _results(args)
    return _write_figures(args, rs, args.out or args.results / "figures")


def cmd_compare(args: argparse.Namespace) -> int:
    """``cdsim compare``."""
    rs = _results(args)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return _write_figures(args, rs, args.out or Path("results") / f"compare-{stamp}")


def cmd_report(args: argparse.Namespace) -> int:
    """``cdsim report``."""
    from sim.report import render

    rs = _results(args)
    figures, notes = _figures(args, rs)
    if args.out:
        out = args.out
    elif len(args.results) == 1:
        out = args.results[0] / "report.html"
    else:
        out = Path("results") / f"report-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.html"
    if out.is_dir() or (out.exists() and "cdsim report" not in out.read_text(errors="replace")):
        raise InputError(f"--out {out}: exists and is not a cdsim report; choose another file")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render(rs, figures, notes), encoding="utf-8")
    except OSError as err:
        print(f"error: --out {out}: cannot write the report ({err.strerror or err})",
              file=sys.stderr)  # fmt: skip
        return EXIT_BAD_INPUT
    print(f"Report with {len(figures)} figures written to {out}")
    return 0


def cmd_check_patterns(args: argparse.Namespace) -> int:
    """``cdsim check-patterns``."""
    from sim import patterns

    try:
        chosen = patterns.find(args.only)
    except ValueError as err:
        print(f"error: --only: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    out = _results_folder(args, "patterns")
    if out is None:
        return EXIT_BAD_INPUT
    table, code = _guarded(out, lambda: patterns.check(
        chosen, out, replications=args.replications, workers=args.workers, resume=args.resume,
        progress=_progress(args), overrides=args.overrides, seed=args.seed,
        scheduler=args.scheduler, csv=args.csv,
    ))  # fmt: skip
    if table is None:
        return code
    table.to_csv(out / "patterns.csv", index=False)
    (out / "patterns.md").write_text(tables.patterns_markdown(table), encoding="utf-8")
    print(tables.patterns_markdown(table))
    print(f"Runs and verdicts in {out}/ (patterns.csv, patterns.md; one folder per pattern)")
    return 0


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``cdsim sensitivity``."""
    from sim import sensitivity

    params = [sensitivity.parse_parameter(p) for p in args.params]
    _check_formats(args.format)  # before the runs, not after
    if args.second_order and args.method != "sobol":
        raise InputError("--second-order: only Sobol indices have a second order")
    out = _results_folder(args, f"sensitivity-{Path(args.scenario).stem}")
    if out is None:
        return EXIT_BAD_INPUT
    outcome, code = _guarded(out, lambda: sensitivity.run_sensitivity(
        args.scenario, out, method=args.method, size=args.samples,
        parameters=params or sensitivity.DEFAULT_PARAMETERS,
        metrics=args.metrics or sensitivity.OUTCOMES, replications=args.replications,
        seed=args.seed, steps=args.steps, workers=args.workers, scheduler=args.scheduler,
        resume=args.resume, progress=_progress(args), second_order=args.second_order,
        overrides=args.overrides,
    ))  # fmt: skip
    if outcome is None:
        return code
    for note in outcome.notes:
        print(f"note: {note}", file=sys.stderr)
    table = outcome.table
    if table.empty:
        print("error: no outcome varied: nothing to analyse", file=sys.stderr)
        return 1
    key = "mu_star" if args.method == "morris" else "ST"
    (out / "sensitivity.md").write_text(tables.sensitivity_markdown(table, key), encoding="utf-8")
    print(tables.sensitivity_markdown(table, key))
    from sim.plots import style
    from sim.plots.sensitivity import indices

    style.save(indices(table, args.method), out, "sensitivity", args.format)
    print(f"{outcome.runs} runs; indices in {out}/sensitivity.csv, figure sensitivity.*")
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    """``cdsim discover``: PRIM boxes of the inputs where the outcome holds."""
    from sim import discovery
    from sim.plots import style
    from sim.plots.discovery import tradeoff
    from sim.resultset import load

    discovery.require()  # before anything else: the one thing the user cannot fix by editing
    _check_formats(args.format)
    outcome = args.outcome
    if args.above is not None:
        outcome = f"({outcome}) > {args.above!r}"
    elif args.below is not None:
        outcome = f"({outcome}) < {args.below!r}"
    result = discovery.discover(
        load(args.results), outcome, inputs=args.inputs, threshold=args.threshold,
        peel_alpha=args.peel_alpha, mass_min=args.mass_min, boxes=args.boxes,
    )  # fmt: skip
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    text = discovery.markdown(result)
    print(text)
    out = args.out or args.results / "discovery"
    _own_output(out, lambda p: p.name in DISCOVERY_FILES)
    try:
        out.mkdir(parents=True, exist_ok=True)
        result.boxes_table().to_csv(out / "boxes.csv", index=False)
        result.trajectory.to_csv(out / "trajectory.csv", index=False)
        (out / "boxes.md").write_text(text, encoding="utf-8")
        style.save(tradeoff(result.trajectory, args.threshold), out, "tradeoff", args.format)
    except OSError as err:
        raise InputError(f"--out {out}: cannot write ({err.strerror or err})") from None
    print(f"Boxes in {out}/ (boxes.csv, boxes.md, trajectory.csv, tradeoff.*)")
    return 0


def cmd_view(args: argparse.Namespace) -> int:
    """``cdsim view``: serve the SolaraViz page for a scenario until interrupted."""
    import importlib.util
    import subprocess
    import tempfile

    import yaml

    path = _scenario_path(args.scenario).resolve()
    config = load_scenario(path, args.overrides)  # one clear error before the server starts
    if importlib.util.find_spec("solara") is None:
        print("error: the browser view needs the viz extra: pip install 'cdsim[viz]'",
              file=sys.stderr)  # fmt: skip
        return EXIT_BAD_INPUT
    env = {**os.environ, "CDSIM_SCENARIO": str(path)}
    if args.overrides or args.seed is not None:  # the page shows the scenario as changed
        if args.seed is not None:
            config = config.model_copy(update={"seed": args.seed})
        changed = Path(tempfile.mkdtemp(prefix="cdsim-view-")) / path.name
        text = yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
        changed.write_text(text, encoding="utf-8")
        env["CDSIM_SCENARIO"] = str(changed)  # users' policies still import from its folder:
        paths = [str(path.parent), os.environ.get("PYTHONPATH")]
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    command = [sys.executable, "-m", "solara", "run", "sim.viz", "--port", str(args.port),
               "--host", args.host]  # fmt: skip
    if args.no_open:
        command.append("--no-open")
    print(f"Serving {path.name} at http://{args.host}:{args.port} (Ctrl-C to stop)",
          file=sys.stderr)  # fmt: skip
    return subprocess.call(command, env=env)


def cmd_validate(args: argparse.Namespace) -> int:
    """``cdsim validate``."""
    path = _scenario_path(args.scenario)
    config = load_scenario(path, args.overrides)
    check_own_names(config.outcomes, str(path))
    rule = config.rules
    print(
        f"{args.scenario or path}: ok: scenario {config.name!r}, {len(config.members)} members, "
        f"{len(config.borders)} borders, {len(config.threats)} threat types, "
        f"rule {rule.preset!r} (decision: {rule.decision}), {config.steps} steps"
    )
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    """``cdsim generate``: a synthetic scenario, validated before it is written."""
    import yaml

    from sim.config import validate
    from sim.synthetic import synthetic_group

    if args.members < 3:
        raise InputError(
            f"--members: a synthetic group needs at least 3 members, got {args.members}"
        )
    if args.out.exists() and not args.force:
        raise InputError(f"--out {args.out}: the file exists (--force to overwrite it)")
    raw = synthetic_group(args.members, args.seed, rule=args.rule, steps=args.steps)
    validate(raw, label=f"--rule {args.rule}")
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w", encoding="utf-8") as handle:
            handle.write(
                f"# Generated by: cdsim generate --members {args.members} --seed {args.seed} "
                f"--steps {args.steps} --rule {args.rule}\n"
            )
            yaml.safe_dump(raw, handle, sort_keys=False, width=100)
    except OSError as err:
        raise InputError(f"--out {args.out}: cannot write ({err.strerror or err})") from None
    print(f"{args.out}: {args.members} members, {len(raw['borders'])} borders")
    return 0


#: Shells ``cdsim completion`` writes scripts for (those shtab supports).
SHELLS = ("bash", "zsh", "tcsh")
#: Arguments that name files or folders, by destination: completed as paths.
_FILE_ARGS = {"scenario", "experiment", "out", "results", "report"}


def cmd_completion(args: argparse.Namespace) -> int:
    """``cdsim completion``: commands, options, choices and paths completed by the shell."""
    import shtab

    parser = build_parser()
    for action in _all_actions(parser):
        if action.dest in _FILE_ARGS:
            action.complete = shtab.FILE  # type: ignore[attr-defined]
    print(shtab.complete(parser, shell=args.shell))
    return 0


def _all_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Every argument of the parser and of its subcommands."""
    found = []
    for action in parser._actions:
        found.append(action)
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found += _all_actions(child)
    return found


def cmd_policies(args: argparse.Namespace) -> int:
    """``cdsim policies``."""
    from sim.policies import registry
    from sim.policies.base import parameter_ranges, range_text

    registry.load_entry_points()
    for name, cls in registry.registered().items():
        print(f"{name}: {cls.description}")
        docs = cls.parameter_docs()
        ranges = parameter_ranges(cls)
        for key, default in cls.parameters().items():
            where = f" {range_text(*ranges[key])}" if key in ranges else ""
            print(f"    {key} = {default!r}{where}: {docs.get(key, '')}".rstrip(": "))
    return 0
