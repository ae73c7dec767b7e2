"""yurt.resolve: version sets under PEP 440, the PubGrub solver against an in-memory provider, and its reports."""

from __future__ import annotations

import itertools
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from yurt.resolve.solver import NoSolution, Provider, RootRequirement, Unavailable, solve
from yurt.resolve.version_set import VersionSet, VersionUniverse

REQUIREMENT = re.compile(r"(?P<name>[A-Za-z0-9._\[\]-]+)(?P<specifier>.*)")


class DictProvider(Provider):
    """Packages from a dict, `{name: {version: {dependency: specifier} | Unavailable}}`.

    Newest version first; pre-releases are never chosen (a policy of this provider, not of the
    solver, so that the reason shows up in reports); priority is first-seen order.
    """

    def __init__(self, packages: dict[str, dict[str, dict[str, str] | Unavailable]]) -> None:
        self.packages = {
            name: {Version(version): dependencies for version, dependencies in versions.items()}
            for name, versions in packages.items()
        }
        self.universes: dict[str, VersionUniverse] = {}
        self.first_seen: dict[str, int] = {}
        self.decisions: list[tuple[str, str]] = []
        self.conflicts: list[str] = []

    def universe(self, package: str) -> VersionUniverse:
        if package not in self.universes:
            self.universes[package] = VersionUniverse(package, tuple(self.packages.get(package, {})))
        return self.universes[package]

    def versions(self, package: str, specifier: str) -> VersionSet:
        return VersionSet.from_specifier(self.universe(package), specifier)

    def choose_version(self, package: str, allowed: VersionSet) -> Version | None:
        final = [version for version in allowed.versions() if not version.is_prerelease]
        return final[-1] if final else None

    def dependencies(self, package: str, version: Version) -> list[tuple[str, VersionSet]] | Unavailable:
        dependencies = self.packages[package][version]
        if isinstance(dependencies, Unavailable):
            return dependencies
        return [(name, self.versions(name, specifier)) for name, specifier in dependencies.items()]

    def priority(self, package: str, allowed: VersionSet) -> int:
        return self.first_seen.setdefault(package, len(self.first_seen))

    def unavailable_reason(self, package: str, allowed: VersionSet) -> str | None:
        if package not in self.packages:
            return "not found in the package index"
        if not allowed.is_empty and all(version.is_prerelease for version in allowed.versions()):
            return "only pre-releases match"
        return None

    def on_decision(self, package: str, version: Version) -> None:
        self.decisions.append((package, str(version)))

    def on_conflict(self, package: str) -> None:
        self.conflicts.append(package)

    def requirement(self, text: str, origin: str | None = None) -> RootRequirement:
        match = REQUIREMENT.fullmatch(text)
        assert match, text
        return RootRequirement(match["name"], self.versions(match["name"], match["specifier"]), origin)


def resolve(packages, *requirements: str | tuple[str, str]) -> dict[str, str]:
    """Resolve `requirements` (text, or (text, origin)) against `packages`; versions as strings."""
    provider = DictProvider(packages)
    root = [provider.requirement(*((item,) if isinstance(item, str) else item)) for item in requirements]
    return {package: str(version) for package, version in solve(root, provider).items()}


def report(packages, *requirements: str | tuple[str, str]) -> str:
    """The explanation of a resolution that must fail."""
    with pytest.raises(NoSolution) as failure:
        resolve(packages, *requirements)
    return failure.value.report


def lines(*sentences: str) -> str:
    return "\n".join(sentences)


# --- version sets -----------------------------------------------------------------------------


def universe_of(*versions: str, package: str = "b") -> VersionUniverse:
    return VersionUniverse(package, tuple(Version(version) for version in versions))


def included(universe: VersionUniverse, specifier: str) -> list[str]:
    return [str(version) for version in VersionSet.from_specifier(universe, specifier).versions()]


def test_universe_sorts_and_merges_spellings_of_one_version():
    universe = universe_of("2.0", "1.0.0", "1.0", "10.0", "1.10")
    assert [str(version) for version in universe.versions] == ["1.0.0", "1.10", "2.0", "10.0"]


@pytest.mark.parametrize(
    ("specifier", "versions", "expected"),
    [
        # `>V` excludes post-releases (and local versions) of V itself.
        (">1.5", ["1.5", "1.5.post1", "1.5+local", "1.5.1", "1.6"], ["1.5.1", "1.6"]),
        # `<V` excludes pre-releases of V, but not of earlier versions.
        ("<2", ["1.9a1", "1.9", "2.0a1", "2.0"], ["1.9a1", "1.9"]),
        ("<2", ["2.0.post1"], []),
        ("==1.*", ["0.9", "1.0a1", "1.0", "1.0.post1", "1.9.9", "2.0"], ["1.0a1", "1.0", "1.0.post1", "1.9.9"]),
        ("~=1.4.5", ["1.4.4", "1.4.5", "1.4.5+local", "1.4.9", "1.5"], ["1.4.5", "1.4.5+local", "1.4.9"]),
        # `!=V` without a local part also refuses V's local versions; a post-release is another version.
        ("!=1.5", ["1.4", "1.5", "1.5+local", "1.5.post1"], ["1.4", "1.5.post1"]),
        ("==1.5", ["1.5", "1.5+local", "1.5.1"], ["1.5", "1.5+local"]),
        # An epoch outranks every version without one.
        (">=1", ["0.5", "1!0.5", "2.0"], ["2.0", "1!0.5"]),
        ("<2", ["1!0.5", "1.0"], ["1.0"]),
        # Arbitrary equality compares the text.
        ("===1.0", ["1.0", "1.0+local"], ["1.0"]),
        ("", ["1.0", "2.0a1"], ["1.0", "2.0a1"]),
        (">=2,<3", ["1.0", "2.0", "2.5", "3.0"], ["2.0", "2.5"]),
    ],
)
def test_from_specifier_follows_pep_440(specifier, versions, expected):
    assert included(universe_of(*versions), specifier) == expected


def test_set_algebra():
    universe = universe_of("1.0", "1.5", "2.0", "2.5", "3.0")
    low = VersionSet.from_specifier(universe, "<2")
    middle = VersionSet.from_specifier(universe, ">=1.5,<3")
    assert [str(version) for version in (low & middle).versions()] == ["1.5"]
    assert [str(version) for version in (low | middle).versions()] == ["1.0", "1.5", "2.0", "2.5"]
    assert [str(version) for version in (~low).versions()] == ["2.0", "2.5", "3.0"]
    assert (low & ~low).is_empty and (low | ~low).is_full
    assert VersionSet.exact(universe, Version("1.5")).is_subset_of(low)
    assert not middle.is_subset_of(low)
    assert low.is_disjoint(~low) and not low.is_disjoint(middle)
    assert low.contains(Version("1.0")) and not low.contains(Version("2.0"))
    assert not low.contains(Version("0.1"))  # not in the universe at all
    assert VersionSet.full(universe) == low | ~low  # equality ignores labels
    assert VersionSet.exact(universe, Version("9.9")).is_empty


def test_sets_of_different_universes_do_not_mix():
    first = VersionSet.full(universe_of("1.0"))
    second = VersionSet.full(universe_of("1.0"))  # an equal list, but another package's universe
    with pytest.raises(ValueError, match="cannot combine"):
        first & second
    with pytest.raises(ValueError, match="cannot combine"):
        first.is_subset_of(second)


def test_labels_last_while_the_set_is_unchanged():
    universe = universe_of("1.0", "2.0", "3.0")
    below = VersionSet.from_specifier(universe, " < 3 ")
    assert below.render("b") == "b<3"
    assert (below & VersionSet.full(universe)).render("b") == "b<3"
    assert (VersionSet.empty(universe) | below).render("b") == "b<3"
    assert (below & VersionSet.from_specifier(universe, ">=2")).render("b") == "b==2.0"
    assert VersionSet.from_specifier(universe, ">= 2.0, <3").render("b") == "b>=2.0,<3"
    assert VersionSet.exact(universe, Version("2.0")).render("b") == "b==2.0"
    assert VersionSet.exact(universe, Version("9")).render("b") == "b==9"


def test_render_from_the_set():
    universe = universe_of("1.0.0", "1.5.0", "2.0.0", "2.5.0", "3.0.0", "4.0.0")

    def render(*versions: str) -> str:
        mask = VersionSet.empty(universe)
        for version in versions:
            mask = mask | VersionSet.exact(universe, Version(version))
        return (mask | VersionSet.empty(universe)).render("b")

    assert VersionSet.full(universe).render("b") == "all versions of b"
    assert VersionSet.empty(universe).render("b") == "no versions of b"
    assert (~VersionSet.exact(universe, Version("9"))).render("b") == "all versions of b"
    assert render("2.0.0", "2.5.0") == "b>=2.0.0,<3.0.0"
    assert render("1.0.0", "1.5.0") == "b<2.0.0"
    assert render("3.0.0", "4.0.0") == "b>=3.0.0"
    assert render("1.0.0", "1.5.0", "3.0.0", "4.0.0") == "b<2.0.0 | b>=3.0.0"
    assert render("1.5.0", "3.0.0") == "b==1.5.0 | b==3.0.0"
    assert render("1.0.0", "1.5.0", "2.5.0", "3.0.0", "4.0.0") == "b!=2.0.0"
    assert render("1.0.0", "2.0.0", "3.0.0", "4.0.0") == "b!=1.5.0,!=2.5.0"


def test_render_of_a_single_version_universe():
    universe = universe_of("1.0")
    assert (~VersionSet.empty(universe)).render("b") == "all versions of b"
    assert VersionSet.exact(universe, Version("1.0")).render("b") == "b==1.0"


# --- resolution -------------------------------------------------------------------------------


def test_simple_resolution_takes_the_newest():
    packages = {"a": {"1.0": {}, "1.1": {}, "2.0": {}}}
    assert resolve(packages, "a") == {"a": "2.0"}
    assert resolve(packages, "a<2") == {"a": "1.1"}


def test_transitive_resolution():
    packages = {
        "a": {"1.0": {"b": ">=1"}},
        "b": {"1.0": {"c": "<2"}, "2.0": {"c": "<3"}},
        "c": {"1.0": {}, "2.0": {}, "3.0": {}},
    }
    assert resolve(packages, "a") == {"a": "1.0", "b": "2.0", "c": "2.0"}


def test_no_requirements_resolve_to_nothing():
    assert resolve({"a": {"1.0": {}}}) == {}


def test_shared_dependency_is_narrowed_by_both_dependents():
    packages = {
        "a": {"1.0": {"c": ">=1.2"}},
        "b": {"1.0": {"c": "<1.4"}},
        "c": {"1.0": {}, "1.2": {}, "1.3": {}, "1.4": {}},
    }
    assert resolve(packages, "a", "b") == {"a": "1.0", "b": "1.0", "c": "1.3"}


def test_pubgrub_no_conflicts():
    packages = {"foo": {"1.0.0": {"bar": ">=1,<2"}}, "bar": {"1.0.0": {}, "2.0.0": {}}}
    assert resolve(packages, "foo>=1,<2") == {"foo": "1.0.0", "bar": "1.0.0"}


def test_pubgrub_avoiding_conflict_during_decision_making():
    packages = {
        "foo": {"1.0.0": {}, "1.1.0": {"bar": ">=2,<3"}},
        "bar": {"1.0.0": {}, "1.1.0": {}, "2.0.0": {}},
    }
    assert resolve(packages, "foo>=1,<2", "bar>=1,<2") == {"foo": "1.0.0", "bar": "1.1.0"}


def test_pubgrub_performing_conflict_resolution():
    packages = {
        "foo": {"1.0.0": {}, "2.0.0": {"bar": ">=1,<2"}},
        "bar": {"1.0.0": {"foo": ">=1,<2"}},
    }
    assert resolve(packages, "foo>=1") == {"foo": "1.0.0"}


def test_pubgrub_conflict_resolution_with_a_partial_satisfier():
    packages = {
        "foo": {"1.0.0": {}, "1.1.0": {"left": ">=1,<2", "right": ">=1,<2"}},
        "left": {"1.0.0": {"shared": ">=1"}},
        "right": {"1.0.0": {"shared": "<2"}},
        "shared": {"1.0.0": {"target": ">=1,<2"}, "2.0.0": {}},
        "target": {"1.0.0": {}, "2.0.0": {}},
    }
    assert resolve(packages, "foo>=1,<2", "target>=2,<3") == {"foo": "1.0.0", "target": "2.0.0"}


def test_pubgrub_linear_error_reporting():
    packages = {
        "foo": {"1.0.0": {"bar": ">=2,<3"}},
        "bar": {"2.0.0": {"baz": ">=3,<4"}},
        "baz": {"1.0.0": {}, "3.0.0": {}},
    }
    assert report(packages, "foo>=1,<2", "baz>=1,<2") == lines(
        "Because foo==1.0.0 depends on bar>=2,<3 which depends on baz>=3,<4,"
        " we can conclude that foo==1.0.0 requires baz>=3,<4.",
        "So, because you require foo>=1,<2 and baz>=1,<2, we can conclude that your requirements are unsatisfiable.",
    )


def test_pubgrub_branching_error_reporting():
    packages = {
        "foo": {"1.0.0": {"a": ">=1,<2", "b": ">=1,<2"}, "1.1.0": {"x": ">=1,<2", "y": ">=1,<2"}},
        "a": {"1.0.0": {"b": ">=2,<3"}},
        "b": {"1.0.0": {}, "2.0.0": {}},
        "x": {"1.0.0": {"y": ">=2,<3"}},
        "y": {"1.0.0": {}, "2.0.0": {}},
    }
    assert report(packages, "foo>=1,<2") == lines(
        "Because foo==1.0.0 depends on a>=1,<2 which depends on b>=2,<3,"
        " we can conclude that foo==1.0.0 requires b>=2,<3.",
        "So, because foo==1.0.0 depends on b>=1,<2, we can conclude that foo==1.0.0 cannot be used. (1)",
        "",
        "Because foo==1.1.0 depends on x>=1,<2 which depends on y>=2,<3,"
        " we can conclude that foo==1.1.0 requires y>=2,<3.",
        "And because foo==1.1.0 depends on y>=1,<2, we can conclude that foo==1.1.0 cannot be used.",
        "And because foo==1.0.0 cannot be used (1), we can conclude that foo cannot be used.",
        "So, because you require foo>=1,<2, we can conclude that your requirements are unsatisfiable.",
    )


FLASK = {
    "flask": {"2.3.3": {"werkzeug": ">=2.3.7"}, "3.0.0": {"werkzeug": ">=3.0.0"}},
    "werkzeug": {"2.3.7": {}, "3.0.0": {}, "3.0.1": {}},
}


def test_newest_version_conflicts_and_an_older_one_works():
    assert resolve(FLASK, "flask", "werkzeug<3") == {"werkzeug": "2.3.7", "flask": "2.3.3"}


def test_classic_conflict_reads_as_the_issue_asks():
    assert report(FLASK, "werkzeug<3", "flask>=3") == lines(
        "Because flask==3.0.0 depends on werkzeug>=3.0.0 and you require werkzeug<3,"
        " we can conclude that you cannot install flask==3.0.0.",
        "So, because you require flask>=3, we can conclude that your requirements are unsatisfiable.",
    )


def test_report_names_where_requirements_come_from():
    assert report(FLASK, "flask==3.0.0", ("werkzeug<3", "requirements.txt:3")) == lines(
        "Because you require flask==3.0.0 which depends on werkzeug>=3.0.0,"
        " we can conclude that you require werkzeug>=3.0.0.",
        "So, because you require werkzeug<3 (from requirements.txt:3),"
        " we can conclude that your requirements are unsatisfiable.",
    )


def test_contradictory_requirements():
    packages = {"b": {"1.0": {}, "2.0": {}}}
    assert report(packages, ("b>=2", "requirements.txt:1"), ("b<2", "requirements.txt:2")) == (
        "Because you require b>=2 (from requirements.txt:1) and b<2 (from requirements.txt:2),"
        " we can conclude that your requirements are unsatisfiable."
    )


def test_diamond_conflict():
    packages = {
        "a": {"1.0": {"c": "<2"}},
        "b": {"1.0": {"c": ">=2"}},
        "c": {"1.0": {}, "2.0": {}},
    }
    assert report(packages, ("a", "requirements.txt:1"), ("b", "requirements.txt:2")) == lines(
        "Because b==1.0 depends on c>=2 and a==1.0 depends on c<2,"
        " we can conclude that b==1.0 and a==1.0 are incompatible.",
        "So, because you require a (from requirements.txt:1) and b (from requirements.txt:2),"
        " we can conclude that your requirements are unsatisfiable.",
    )


def test_diamond_conflict_over_every_version():
    packages = {
        "a": {"1.0": {"c": "<2"}, "2.0": {"c": "<2"}},
        "b": {"1.0": {"c": ">=2"}, "2.0": {"c": ">=2"}},
        "c": {"1.0": {}, "2.0": {}},
    }
    assert report(packages, "a", "b") == lines(
        "Because b==1.0 depends on c>=2 and b==2.0 depends on c>=2,"
        " we can conclude that all versions of b require c>=2.",
        "Because a==1.0 depends on c<2 and a==2.0 depends on c<2,"
        " we can conclude that all versions of a require c<2.",
        "Thus, we can conclude that b and a are incompatible.",
        "So, because you require a and b, we can conclude that your requirements are unsatisfiable.",
    )


def test_diamond_resolved_by_an_older_dependent():
    packages = {
        "a": {"1.0": {"c": "<2"}},
        "b": {"1.0": {"c": "<2"}, "2.0": {"c": ">=2"}},
        "c": {"1.0": {}, "2.0": {}},
    }
    assert resolve(packages, "a", "b") == {"a": "1.0", "c": "1.0", "b": "1.0"}


def test_missing_package_is_explained_with_the_providers_reason():
    assert report({}, "nonexistent") == (
        "Because there is no usable version of nonexistent (not found in the package index)"
        " and you require nonexistent, we can conclude that your requirements are unsatisfiable."
    )


def test_missing_dependency_is_explained_with_the_providers_reason():
    assert report({"a": {"1.0": {"b": ""}}}, "a") == lines(
        "Because there is no usable version of b (not found in the package index) and a==1.0 depends on b,"
        " we can conclude that a==1.0 cannot be used.",
        "So, because you require a, we can conclude that your requirements are unsatisfiable.",
    )


def test_no_matching_version():
    packages = {"a": {"1.0": {"b": ">=99"}}, "b": {"1.0": {}}}
    assert report(packages, "a", ("b==9.9", "constraints.txt:7")) == lines(
        "Because there is no version of b==9.9 and you require b==9.9 (from constraints.txt:7),"
        " we can conclude that your requirements are unsatisfiable."
    )
    assert report(packages, "a") == lines(
        "Because there is no version of b>=99 and a==1.0 depends on b>=99, we can conclude that a==1.0 cannot be used.",
        "So, because you require a, we can conclude that your requirements are unsatisfiable.",
    )


def test_provider_policy_reason_reaches_the_report():
    packages = {"b": {"1.0": {}, "2.0b1": {}}}
    assert resolve(packages, "b") == {"b": "1.0"}
    assert report(packages, "b>1") == (
        "Because there is no usable version of b>1 (only pre-releases match) and you require b>1,"
        " we can conclude that your requirements are unsatisfiable."
    )


def test_unavailable_versions_are_skipped_then_explained():
    packages = {
        "a": {"1.0": {"b": ""}},
        "b": {"1.0": {}, "2.0": Unavailable("its metadata is invalid")},
    }
    assert resolve(packages, "a") == {"a": "1.0", "b": "1.0"}
    packages["b"]["1.0"] = Unavailable("no wheel matches this platform and there is no sdist")
    assert report(packages, "a") == lines(
        "Because b==1.0 cannot be used (no wheel matches this platform and there is no sdist)"
        " and b==2.0 cannot be used (its metadata is invalid), we can conclude that b cannot be used.",
        "So, because you require a which depends on b, we can conclude that your requirements are unsatisfiable.",
    )


def test_extras_as_virtual_packages():
    packages = {
        "a": {"1.0": {}, "2.0": {}},
        "a[x]": {"1.0": {"a": "==1.0", "c": ">=2"}, "2.0": {"a": "==2.0", "c": "<2"}},
        "c": {"1.0": {}, "2.0": {}},
    }
    assert resolve(packages, "a[x]", "c>=2") == {"a[x]": "1.0", "c": "2.0", "a": "1.0"}
    assert report(packages, "a[x]", "c>=2", "a>=2") == lines(
        "Because a[x]==2.0 depends on c<2 and a[x]==1.0 depends on a==1.0,"
        " we can conclude that all versions of a[x] require c<2 or a==1.0.",
        "And because you require a[x], we can conclude that you require c<2 or a==1.0.",
        "So, because you require c>=2 and a>=2, we can conclude that your requirements are unsatisfiable.",
    )


def test_package_depending_on_itself():
    packages = {"a": {"1.0": {"a": ">=2"}, "2.0": {"a": ">=2"}}}
    assert resolve(packages, "a") == {"a": "2.0"}
    assert report(packages, "a<2") == (
        "Because you require a<2 which depends on a>=2, we can conclude that your requirements are unsatisfiable."
    )


def test_hooks_see_decisions_and_conflicts():
    # The PubGrub documentation's conflict resolution case: foo 2.0.0 is decided, then undone.
    provider = DictProvider({"foo": {"1.0.0": {}, "2.0.0": {"bar": ">=1,<2"}}, "bar": {"1.0.0": {"foo": ">=1,<2"}}})
    solve([provider.requirement("foo>=1")], provider)
    assert provider.decisions == [("foo", "2.0.0"), ("foo", "1.0.0")]
    assert provider.conflicts == ["bar", "foo"]


def test_provider_choosing_outside_the_allowed_set_is_a_bug():
    class Careless(DictProvider):
        def choose_version(self, package, allowed):
            return Version("9.9")

    provider = Careless({"a": {"1.0": {}}})
    with pytest.raises(ValueError, match="not among the allowed versions"):
        solve([provider.requirement("a")], provider)


def test_report_does_not_depend_on_hash_seeds():
    script = (
        "import test_solver; from yurt.resolve.solver import NoSolution\n"
        "try:\n    test_solver.resolve(test_solver.WIDE_FAILURE, 'root-a', 'root-b')\n"
        "except NoSolution as failure:\n    print(failure.report)\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=Path(__file__).parent,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(Path(__file__).parent)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1 and "unsatisfiable" in outputs.pop()


# Many packages with the same shape, so that any set iteration would show in the order of the report.
WIDE_FAILURE = {
    "root-a": {"1.0": {f"mid-{index}": "" for index in range(8)}},
    "root-b": {"1.0": {"leaf": "<1"}},
    **{f"mid-{index}": {"1.0": {"leaf": ">=1"}, "2.0": {"leaf": ">=2"}} for index in range(8)},
    "leaf": {"0.5": {}, "1.0": {}, "2.0": {}},
}


def test_long_chain_resolves():
    size = 200
    packages = {
        f"p{index}": {f"{version}.0": {f"p{index + 1}": f">={version}"} for version in range(1, 6)}
        for index in range(size)
    }
    # The last package exists only at 1.0, so every choice up the chain has to come down to 1.0.
    packages[f"p{size - 1}"] = {"1.0": {}}
    result = resolve(packages, "p0")
    assert len(result) == size and set(result.values()) == {"1.0"}


# --- agreement with brute force ---------------------------------------------------------------


def random_index(rng: random.Random) -> tuple[dict, list[str]]:
    names = ["a", "b", "c", "d", "e"][: rng.randint(2, 5)]
    packages: dict[str, dict[str, dict[str, str]]] = {}
    for name in names:
        packages[name] = {}
        for version in range(1, rng.randint(1, 4) + 1):
            bound = rng.randint(1, 4)
            packages[name][str(version)] = {
                other: rng.choice([f">={bound}", f"<{bound}", f"=={bound}", f"!={bound}", ""])
                for other in names
                if other != name and rng.random() < 0.35
            }
    required = rng.sample(names, rng.randint(1, len(names)))
    requirements = [name + rng.choice([">=1", "<3", "==2", ">=2", ""]) for name in required]
    return packages, requirements


def satisfied(choice: dict[str, Version], name: str, specifier: str) -> bool:
    return name in choice and SpecifierSet(specifier).contains(choice[name], prereleases=True)


def is_solution(packages, requirements, choice: dict[str, Version]) -> bool:
    split = [REQUIREMENT.fullmatch(requirement) for requirement in requirements]
    return all(satisfied(choice, match["name"], match["specifier"]) for match in split) and all(
        satisfied(choice, dependency, specifier)
        for name, version in choice.items()
        for dependency, specifier in packages[name][str(version)].items()
    )


def any_solution_exists(packages, requirements) -> bool:
    names = list(packages)
    options = [[None, *(Version(version) for version in packages[name])] for name in names]
    for combination in itertools.product(*options):
        choice = {name: version for name, version in zip(names, combination) if version is not None}
        if is_solution(packages, requirements, choice):
            return True
    return False


@pytest.mark.parametrize("seed", range(0, 400, 50))
def test_agrees_with_brute_force(seed):
    for case in range(seed, seed + 50):
        packages, requirements = random_index(random.Random(case))
        try:
            result = resolve(packages, *requirements)
        except NoSolution as failure:
            assert failure.report.endswith("your requirements are unsatisfiable."), case
            assert not any_solution_exists(packages, requirements), case
        else:
            choice = {name: Version(version) for name, version in result.items()}
            assert is_solution(packages, requirements, choice), case
