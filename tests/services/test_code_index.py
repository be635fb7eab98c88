"""The cached ICD-10-CM index answers as the library does, and spares a process the tabular."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import simple_icd_10_cm

from claims import icd10
from claims.icd10 import Icd10Status, library_lookup, lookup_in
from services import code_index
from services.settings import REPO_ROOT

# Codes of every shape a claim or a person may send: billable leaves, categories and
# subcategories with children, seventh-character extensions, dotted and not, chapters and
# blocks (navigation, not codes), and what is no code at all.
EDGES = [
    "E119", "E11.9", "E11", "E116", "I10", "G43909", "R519", "S0000XA", "S00.00XA", "S0000",
    "Z3A", "Z3A01", "A00-A09", "E08-E13", "4", "22", "e119", "E11.", "E1.19", "E1", "",
    " E119", "ZZZ9", "U071", "O0900",
]  # fmt: skip


@pytest.fixture(scope="module")
def cached(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, icd10.ShippedIndex]:
    folder = tmp_path_factory.mktemp("code-cache")
    code_index.build(folder)
    assert code_index.cache_file(folder).is_file()
    return folder, code_index.shipped_icd10_index(folder)


def test_the_cached_index_answers_as_the_library(
    cached: tuple[Path, icd10.ShippedIndex],
) -> None:
    _, index = cached
    codes = simple_icd_10_cm.get_all_codes(True)
    # Every 25th item of the tabular (chapters, blocks and codes, ~4,000), dotted and not.
    sample = [*EDGES, *codes[::25], *(c.replace(".", "") for c in codes[7::25])]
    differ = {
        code: (lookup_in(index, code), library_lookup(simple_icd_10_cm, code))
        for code in sample
        if lookup_in(index, code) != library_lookup(simple_icd_10_cm, code)
    }
    assert differ == {}
    statuses = {lookup_in(index, code).status for code in sample}
    assert statuses == set(Icd10Status)
    assert lookup_in(index, "E11").children == library_lookup(simple_icd_10_cm, "E11").children
    assert "E119" in lookup_in(index, "E11").children


def test_every_category_and_subcategory_is_in_the_index(
    cached: tuple[Path, icd10.ShippedIndex],
) -> None:
    _, index = cached
    codes = simple_icd_10_cm.get_all_codes(True)
    expected = {c for c in codes if simple_icd_10_cm.is_category_or_subcategory(c)}
    assert set(index) == expected
    billable = {c for c, children in index.items() if not children}
    assert billable == {c for c in expected if simple_icd_10_cm.is_leaf(c)}


def test_a_damaged_cache_file_is_built_again(tmp_path: Path) -> None:
    path = code_index.cache_file(tmp_path)
    path.write_bytes(b"not a pickle")
    index = code_index.shipped_icd10_index(tmp_path)
    assert lookup_in(index, "E119").status is Icd10Status.BILLABLE
    assert code_index.shipped_icd10_index(tmp_path) == index  # rewritten, read back
    assert path.read_bytes() != b"not a pickle"


def test_an_unwritable_cache_folder_still_gives_the_index(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    index = code_index.shipped_icd10_index(blocked)
    assert lookup_in(index, "E11").status is Icd10Status.NOT_BILLABLE
    assert not code_index.cache_file(blocked).exists()


def test_a_process_with_the_cache_codes_claims_without_the_tabular(
    cached: tuple[Path, icd10.ShippedIndex],
) -> None:
    folder, _ = cached
    code = (
        "import sys; from pathlib import Path; from services import code_index; "
        "from claims import icd10; "
        f"code_index.preload_icd10(Path({str(folder)!r})); "
        "print(icd10.lookup('E11').status, icd10.lookup('E119').status, "
        "icd10.lookup('E11').children[:2], 'simple_icd_10_cm' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    )
    assert out.stdout.strip().split(maxsplit=2) == [
        "not_billable",
        "billable",
        "('E110', 'E111') False",
    ]
