"""What Fivetran installs matches what the shipped code imports, on every Python deploy.sh allows."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PROVIDED = {"fivetran_connector_sdk", "requests", "urllib3"}  # Fivetran installs the SDK and requests (with urllib3)
LOCAL = {"connector", "fts_connector", "contracts"}


def supported_versions() -> list:
    """The one list of supported Pythons, which deploy.sh and CI read."""
    return (ROOT / "tools" / "python-versions").read_text().split()


def requirements() -> list:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


def shipped_imports(tmp_path: Path) -> set:
    subprocess.run(["bash", str(ROOT / "tools" / "stage.sh"), str(tmp_path)], check=True)
    modules = set()
    for path in tmp_path.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - LOCAL - {"__future__"}


def test_no_root_pyproject_so_the_sdk_reads_requirements_txt():
    # fivetran debug/deploy take a root pyproject.toml as the dependency manifest instead of requirements.txt;
    # the tool settings live in pytest.ini and ruff.toml, and the staged folder holds no pyproject.toml either.
    assert not (ROOT / "pyproject.toml").exists()


def test_requirements_txt_lists_exactly_the_third_party_imports_of_the_shipped_code(tmp_path):
    imported = shipped_imports(tmp_path)
    assert not (tmp_path / "pyproject.toml").exists()
    assert {"pandas", "pandera", "numpy", "requests"} <= imported
    assert {requirement.name for requirement in requirements()} == imported - PROVIDED


@pytest.mark.parametrize("version", supported_versions())
def test_requirements_txt_pins_each_package_once_for_every_supported_python(version):
    chosen = [r for r in requirements() if r.marker is None or r.marker.evaluate({"python_version": version})]
    names = [requirement.name for requirement in chosen]
    assert sorted(names) == sorted(set(names)) == sorted({r.name for r in requirements()})
    assert all(str(requirement.specifier).startswith("==") for requirement in chosen)


def test_the_readme_states_the_supported_versions_and_every_one_is_a_python_deploy_accepts():
    versions = supported_versions()
    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split("."))))
    assert all((3, 10) <= tuple(map(int, v.split("."))) <= (3, 14) for v in versions)  # what `fivetran deploy` takes
    assert f"Python {versions[0]}–{versions[-1]}" in (ROOT / "README.md").read_text()
