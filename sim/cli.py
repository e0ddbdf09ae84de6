"""The ``cdsim`` command line: run, validate, policies."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sim import __version__
from sim.config import ConfigError, load_scenario
from sim.metrics import METRICS

DEFAULT_SCENARIO = "scenarios/asean_way.yaml"

EXIT_BAD_INPUT = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
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
    run.add_argument("--seed", type=int, help="run seed (default: the scenario's 'seed')")
    run.add_argument("--steps", type=_positive_int, help="number of steps (months by default)")
    run.add_argument(
        "--out", type=Path,
        help="output folder (default: results/<scenario>-<date-time>)",
    )  # fmt: skip
    run.set_defaults(func=cmd_run)

    validate = sub.add_parser("validate", help="check a scenario file without running it")
    validate.add_argument("scenario", help="scenario file")
    _add_overrides(validate)
    validate.set_defaults(func=cmd_validate)

    policies = sub.add_parser("policies", help="list the available policies")
    policies.set_defaults(func=cmd_policies)
    return parser


def _add_overrides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a scenario field by dotted path, e.g. rules.preset=collective_commitment "
        "or members.Laos.policy=free_rider (repeatable; values are YAML)",
    )  # fmt: skip


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _scenario_path(arg: str | None) -> Path:
    if arg is not None:
        return Path(arg)
    path = Path(DEFAULT_SCENARIO)
    if path.exists():
        return path
    return Path(__file__).resolve().parent.parent / DEFAULT_SCENARIO


def cmd_run(args: argparse.Namespace) -> int:
    """``cdsim run``."""
    from sim.results import run

    path = _scenario_path(args.scenario)
    config = load_scenario(path, args.overrides)
    result = run(config, seed=args.seed, steps=args.steps)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("results") / f"{config.name}-{stamp}"
    try:
        result.write(out)
    except OSError as err:
        print(f"error: --out {out}: cannot write results ({err.strerror or err})", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(format_summary(result))
    print(f"\nTables written to {out}/")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``cdsim validate``."""
    config = load_scenario(args.scenario, args.overrides)
    rule = config.rules
    print(
        f"{args.scenario}: ok: scenario {config.name!r}, {len(config.members)} members, "
        f"{len(config.borders)} borders, {len(config.threats)} threat types, "
        f"rule {rule.preset!r} (decision: {rule.decision}), {config.steps} steps"
    )
    return 0


def cmd_policies(args: argparse.Namespace) -> int:
    """``cdsim policies``."""
    from sim.policies import registry

    registry.load_entry_points()
    for name, cls in registry.registered().items():
        print(f"{name}: {cls.description}")
        docs = cls.parameter_docs()
        for key, default in cls.parameters().items():
            print(f"    {key} = {default!r}: {docs.get(key, '')}".rstrip(": "))
    return 0


def format_summary(result) -> str:  # noqa: ANN001  (a RunResult)
    """A readable summary of one run."""
    cfg = result.config
    s = result.summary
    rule = cfg.rules
    lines = [
        f"Scenario {cfg.name!r}: {len(cfg.members)} members, {cfg.steps} steps of "
        f"{cfg.months_per_step} month(s), seed {cfg.seed}",
        f"Rule: {rule.preset} (decision {rule.decision}, help {'+'.join(rule.allowed_help)}, "
        f"intelligence {rule.intelligence_sharing})",
        "",
    ]
    group = None
    for key, (section, label, unit) in METRICS.items():
        if section != group:
            lines.append(section)
            group = section
        lines.append(f"  {label:<48} {_fmt(s[key]):>10}  {unit}")
    lines += ["", "Threats by type:"]
    lines.append(result.by_type.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    lines += ["", "Most damaged members:"]
    top = result.members.sort_values("damage_usd_bn", ascending=False).head(5)
    cols = ["member", "policy", "damage_usd_bn", "damage_pct_gdp_per_year", "help_received"]
    lines.append(top[cols].to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    return "\n".join(lines)


def _fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if float(value).is_integer() and abs(value) < 1e9:
        return f"{int(value)}"
    return f"{value:.3f}"
