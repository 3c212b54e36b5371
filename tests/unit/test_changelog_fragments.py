"""Every changelog fragment parses and uses only the sections of changelogs/config.yaml, checked in a second
instead of at the end of the sanity run."""

import pathlib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "changelogs" / "config.yaml").read_text())
SECTIONS = {section for section, _title in CONFIG["sections"]} | {CONFIG.get("trivial_section_name", "trivial")}
FRAGMENTS = sorted((ROOT / "changelogs" / "fragments").glob("*.y*ml"))


def test_there_are_fragments():
    assert FRAGMENTS


@pytest.mark.parametrize("fragment", FRAGMENTS, ids=lambda path: path.name)
def test_fragment_parses_into_known_sections_of_strings(fragment):
    data = yaml.safe_load(fragment.read_text())
    assert isinstance(data, dict) and data, f"{fragment.name}: a fragment is a mapping of sections"
    unknown = set(data) - SECTIONS
    assert not unknown, f"{fragment.name}: unknown sections {sorted(unknown)}; use one of {sorted(SECTIONS)}"
    for section, entries in data.items():
        assert isinstance(entries, list) and entries, f"{fragment.name}: {section} must be a non-empty list"
        assert all(isinstance(entry, str) and entry.strip() for entry in entries), f"{fragment.name}: {section}"
