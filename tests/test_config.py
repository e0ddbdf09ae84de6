"""Loading scenario files: merging data, presets, overrides, and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import MINIMAL, SCENARIOS, scenario

from sim import presets
from sim.cli import main
from sim.config import ConfigError, load_scenario


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_scenarios_validate(path):
    config = load_scenario(path)
    assert config.members and config.name == path.stem


def test_asean_members_come_from_the_data_files_with_sources():
    config = scenario("asean_way")
    names = config.member_names
    assert len(names) == 11 and "Timor-Leste" in names
    indonesia = next(m for m in config.members if m.name == "Indonesia")
    assert indonesia.gdp_usd_bn == pytest.approx(1420.0)
    assert indonesia.defence_pct_gdp == pytest.approx(0.678)
    assert "SIPRI" in indonesia.sources["defence_source"]
    laos = next(m for m in config.members if m.name == "Laos")
    assert laos.sources["estimate"] == "true"
    philippines = next(m for m in config.members if m.name == "Philippines")
    assert philippines.exposure["natural_disaster"] > 1.0


def test_nato_has_32_members_and_a_connected_border_network():
    import networkx as nx

    config = scenario("nato")
    graph = nx.Graph([b.between for b in config.borders])
    assert len(config.members) == 32
    assert set(graph.nodes) == set(config.member_names)
    assert nx.is_connected(graph)


def test_preset_fills_knobs_and_a_knob_overrides_the_preset(write):
    path = write(MINIMAL + "rules: {preset: collective_commitment, decision: majority}\n")
    config = load_scenario(path)
    expected = presets.PRESETS["collective_commitment"]
    assert config.rules.decision == "majority"
    assert config.rules.allowed_help == expected["allowed_help"]
    assert config.rules.obligated is expected["obligated"]


def test_overrides_by_dotted_path_member_name_and_index(write):
    path = write(MINIMAL)
    config = load_scenario(
        path,
        [
            "rules.preset=collective_commitment",
            "threats.aggression.rate=0.5",
            "members.Beta.policy=reciprocal",
            "members.1.policy.params.forgiveness=0.3",
            "members.Gamma.policy=free_rider",
            "steps=12",
        ],
    )
    assert config.rules.decision == "automatic"
    assert config.threats["aggression"].rate == 0.5
    assert config.threats["aggression"].growth == pytest.approx(0.08)  # default kept
    assert config.members[1].policy.name == "reciprocal"
    assert config.members[1].policy.params == {"forgiveness": 0.3}
    assert config.members[2].policy.name == "free_rider"
    assert config.steps == 12


def test_per_decision_policy_overrides(write):
    path = write(MINIMAL + "default_policy: {name: reciprocal, respond: {name: free_rider}}\n")
    spec = load_scenario(path).default_policy
    assert spec.for_decision("share").name == "reciprocal"
    assert spec.for_decision("respond").name == "free_rider"


BAD_INPUTS = [
    # (text replacing/added to MINIMAL, fragments the one-line error must contain)
    ("members:\n  - {name: A, gdp_usd_bn: 1, defence_pct_gdp: 1}\n  - [oops\n",
     ["malformed YAML", ":4:"]),
    (MINIMAL + "stepz: 10\n", ["unknown field 'stepz'", "did you mean 'steps'"]),
    (MINIMAL + "steps: many\n", ["steps", "valid integer", "'many'"]),
    (MINIMAL + "steps: 0\n", ["steps", "greater than or equal to 1"]),
    (MINIMAL.replace("gdp_usd_bn: 100", "gdp_usd_bn: -100"),
     ["members[1] (Beta).gdp_usd_bn", "greater than 0"]),
    (MINIMAL + "default_policy: reciprocl\n",
     ["default_policy", "unknown policy 'reciprocl'", "did you mean 'reciprocal'"]),
    (MINIMAL.replace("{name: Gamma, gdp_usd_bn: 20, defence_pct_gdp: 1.5}",
                     "{name: Gamma, gdp_usd_bn: 20, defence_pct_gdp: 1.5, policy: free_ridr}"),
     ["members[2] (Gamma).policy", "did you mean 'free_rider'"]),
    (MINIMAL + "default_policy: {name: reciprocal, params: {forgivness: 0.3}}\n",
     ["no parameter 'forgivness'", "did you mean 'forgiveness'"]),
    (MINIMAL + "default_policy: {name: reciprocal, params: {forgiveness: 3}}\n",
     ["forgiveness", "[0, 1]"]),
    (MINIMAL + "  - {between: [Gamma, Deltaa], kind: land}\n",
     ["borders[2].between[1]", "unknown border partner 'Deltaa'"]),
    (MINIMAL + "rules: {preset: non_interventoin}\n",
     ["rules.preset", "did you mean 'non_intervention'"]),
    (MINIMAL + "rules: {preset: non_intervention, decision: unanimous}\n",
     ["rules.decision", "'unanimous'"]),
    (MINIMAL + "threats: {aggression: {rate: -1}}\n",
     ["threats.aggression.rate", "greater than or equal to 0"]),
    (MINIMAL + "default_policy: nosuchmodule:Policy\n",
     ["cannot import module 'nosuchmodule'"]),
    (MINIMAL + "default_policy: 'sim.config:Scenario'\n", ["is not a policy"]),
    ("- just\n- a list\n", ["expected a mapping"]),
]  # fmt: skip


@pytest.mark.parametrize("text,fragments", BAD_INPUTS)
def test_bad_input_gives_one_line_naming_file_and_field(write, capsys, text, fragments):
    path = write(text)
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    assert str(path) in err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err


def test_missing_file_and_bad_override(capsys, write):
    assert main(["validate", "no/such/file.yaml"]) == 2
    assert "no/such/file.yaml: no such file" in capsys.readouterr().err
    path = write(MINIMAL)
    assert main(["validate", str(path), "--set", "members.Gama.policy=free_rider"]) == 2
    err = capsys.readouterr().err
    assert "members.Gama" in err and "did you mean 'Gamma'" in err
    assert main(["validate", str(path), "--set", "rules.covered_threats=[aggresion]"]) == 2
    assert "rules.covered_threats[0]" in capsys.readouterr().err


def test_data_file_errors_name_the_data_file(write, tmp_path, capsys):
    (tmp_path / "m.csv").write_text("name,gdp_usd_bn,defence_pct_gdp\nA,10,1\nB,,1\n")
    path = write("name: x\ndata: {members: m.csv}\n")
    with pytest.raises(ConfigError, match=r"m.csv row 3|gdp_usd_bn"):
        load_scenario(path)
    path = write("name: x\ndata: {members: missing.csv}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "data.members: " in err and "missing.csv: no such file" in err


def test_duplicate_border_is_rejected(write):
    path = write(MINIMAL + "  - {between: [Beta, Alpha], kind: sea}\n")
    with pytest.raises(ConfigError, match=r"borders\[2\].between: this border is listed twice"):
        load_scenario(path)


def test_exposure_file_applies_to_members_written_in_yaml(write, tmp_path):
    (tmp_path / "exp.csv").write_text("name,threat,multiplier\nBeta,aggression,2.5\n")
    config = load_scenario(write(MINIMAL + "data: {exposure: exp.csv}\n"))
    assert config.members[1].exposure == {"aggression": 2.5}


def test_data_files_can_be_overridden_from_the_command_line(write, tmp_path):
    (tmp_path / "a.csv").write_text("name,gdp_usd_bn,defence_pct_gdp\nA,10,1\nB,20,2\n")
    (tmp_path / "b.csv").write_text("name,gdp_usd_bn,defence_pct_gdp\nC,30,3\nD,40,4\n")
    path = write("name: x\ndata: {members: a.csv}\n")
    assert load_scenario(path).member_names == ["A", "B"]
    assert load_scenario(path, ["data.members=b.csv"]).member_names == ["C", "D"]


def test_edge_cases_of_data_files(write, tmp_path):
    (tmp_path / "exp.csv").write_text("name,threat,multiplier\nBeta,aggression,2.5\n")
    text = MINIMAL.replace("defence_pct_gdp: 1.0}", "defence_pct_gdp: 1.0, exposure: }")
    assert load_scenario(write(text + "data: {exposure: exp.csv}\n")).members[1].exposure == {
        "aggression": 2.5
    }
    (tmp_path / "m.csv").write_text("name,gdp_usd_bn,defence_pct_gdp\nA,10,1\n   ,20,2\n")
    with pytest.raises(ConfigError, match="row 3: column 'name' is empty"):
        load_scenario(write("name: x\ndata: {members: m.csv}\n"))
    (tmp_path / "ok.csv").write_text("name,gdp_usd_bn,defence_pct_gdp\nA,10,1\nB,20,2\n")
    config = load_scenario(write("name: x\n"), ["data={members: ok.csv}"])
    assert config.member_names == ["A", "B"]


def test_experiment_overrides_keep_the_order_of_mappings():
    """policy_mix ties go to the policy written first, so an experiment must not sort keys."""
    from sim.config import override_text

    mix = {"self_interested": 0.25, "free_rider": 0.25, "committed_ally": 0.5}
    assert override_text("policy_mix", mix) == (
        "policy_mix={self_interested: 0.25, free_rider: 0.25, committed_ally: 0.5}"
    )


def test_the_teaching_template_writes_out_every_default():
    """scenarios/teaching.yaml doubles as a template: its settings sections hold every field
    at its default value (a field added to the schema must be added there too)."""
    import yaml
    from helpers import SCENARIOS

    from sim import config

    raw = yaml.safe_load((SCENARIOS / "teaching.yaml").read_text(encoding="utf-8"))
    sections = {
        "intelligence": config.IntelligenceConfig(),
        "exercises": config.ExercisesConfig(),
        "response": config.ResponseConfig(),
        "relations": config.RelationsConfig(),
        "economy": config.EconomyConfig(),
    }
    for name, defaults in sections.items():
        written = raw[name]
        expected = defaults.model_dump()
        expected.pop("pairs", None)  # the template's one example pair
        written = {k: v for k, v in written.items() if k != "pairs"}
        assert written == expected, name
    assert raw["amendment"] == config.AmendmentConfig().model_dump()
    assert raw["membership"] == config.MembershipConfig().model_dump()
    adversary = config.AdversaryConfig.model_validate(raw["adversaries"][0])
    defaults = config.AdversaryConfig.model_fields
    for field in ("opportunities_per_year", "risk_appetite", "uncertainty", "retaliation"):
        assert getattr(adversary, field) == defaults[field].default, field
    for kind, mode in adversary.modes.items():
        assert mode.model_dump() == config.ModeConfig(**config.DEFAULT_MODES[kind]).model_dump()


def test_an_experiment_anywhere_can_build_on_a_shipped_scenario(tmp_path, monkeypatch):
    """``scenario: scenarios/...`` in one's own experiment file finds the shipped scenario
    when no such file sits beside the experiment; one that does sit there wins."""
    from sim import shipped
    from sim.experiment import load_experiment

    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.yaml").write_text("name: e\nscenario: scenarios/teaching.yaml\n")
    found = Path(load_experiment(tmp_path / "e.yaml").scenario)
    assert found == (shipped.folder("scenarios") / "teaching.yaml").resolve()
    own = tmp_path / "scenarios" / "teaching.yaml"
    own.parent.mkdir()
    own.write_text((shipped.folder("scenarios") / "teaching.yaml").read_text())
    assert Path(load_experiment(tmp_path / "e.yaml").scenario) == own.resolve()


def test_each_list_of_allowed_values_is_declared_once_and_used_everywhere():
    """The schema, the model and the presets agree with sim.vocabulary: a value added there
    is accepted by the schema and must be handled by the model."""
    from sim import rules, vocabulary
    from sim.config import ExercisesConfig, RulesConfig

    assert set(rules.COMMITMENT_LEVEL) == set(vocabulary.PROCEDURES)
    for decision in vocabulary.PROCEDURES:
        rules.group_acts(decision, [True, False])  # no decision the model cannot take
        assert RulesConfig.model_validate({"decision": decision}).decision == decision
    for sharing in vocabulary.SHARING:
        assert RulesConfig.model_validate({"intelligence_sharing": sharing})
    for kind in vocabulary.EXERCISE_KINDS:
        assert ExercisesConfig.model_validate({"kind": kind}).kind == kind
    with pytest.raises(ValueError, match="consensus"):
        RulesConfig.model_validate({"decision": "unanimity"})
    for preset in presets.PRESETS.values():
        assert preset["decision"] in vocabulary.PROCEDURES
        assert preset["intelligence_sharing"] in vocabulary.SHARING
        assert set(preset["allowed_help"]) <= set(vocabulary.HELP)
        assert set(preset["exercise_kinds"]) <= set(vocabulary.EXERCISE_KINDS)
