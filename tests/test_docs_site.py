"""The documentation site builds in strict mode: no broken link or anchor, API pages generated."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs", reason="mkdocs is not installed (pip install -e '.[docs]')")

from mkdocs.config import load_config  # noqa: E402
from mkdocs.structure.files import File  # noqa: E402

from sim.model import CollectiveDefenceModel  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _nav_paths(nav) -> list[str]:
    """Every file named in mkdocs.yml's nav (external links left out)."""
    if isinstance(nav, str):
        return [] if "://" in nav else [nav]
    if isinstance(nav, dict):
        return [p for value in nav.values() for p in _nav_paths(value)]
    return [p for item in nav for p in _nav_paths(item)]


def _text(page: Path) -> str:
    """A built page's text: tags dropped, entities decoded, whitespace collapsed."""
    raw = re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))
    return " ".join(html.unescape(raw).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    site_dir = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return site_dir


@pytest.fixture(scope="module")
def config():
    return load_config(str(ROOT / "mkdocs.yml"))


def _built(config, site: Path, src: str) -> Path:
    file = File(src, config.docs_dir, str(site), config.use_directory_urls)
    return site / file.dest_uri


def test_every_nav_page_is_built(site, config):
    paths = _nav_paths(config.nav)
    assert "index.md" in paths and any(p.startswith("api/") for p in paths)
    missing = [p for p in paths if not _built(config, site, p).is_file()]
    assert not missing, f"nav entries missing from the built site: {missing}"


def test_api_pages_come_from_docstrings(site, config):
    first_line = CollectiveDefenceModel.__doc__.strip().splitlines()[0].strip()
    assert first_line
    page = _text(_built(config, site, "api/model.md"))
    assert first_line in page
    assert "sim.model.CollectiveDefenceModel" in _built(config, site, "api/model.md").read_text(
        encoding="utf-8"
    )
    # Sphinx roles in docstrings are rewritten (docs/hooks/sphinx_roles.py), not printed
    assert ":class:" not in page and ":func:" not in page
