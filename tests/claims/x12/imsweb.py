"""The imsweb X12 parser (Java, ``com.imsweb:x12-parser`` 1.13) as a second reader of 837Ps.

pyx12 validates claimflow's 837Ps in the tests; this reader is independent of it (its own
maps, its own required-element checks) so two readers must agree that what claimflow writes
is an 837P and what it says. The jar comes from Maven Central through
``deploy/x12parser/pom.xml`` and the harness ``deploy/x12parser/ReadX12.java`` is compiled
with javac, both once, into ``.state/x12parser/`` (``services.stack.maven``); a run fetches
nothing.
"""

from __future__ import annotations

import functools
import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.settings import REPO_ROOT
from services.stack import maven

DEPLOY = REPO_ROOT / "deploy" / "x12parser"
ROOT = REPO_ROOT / ".state" / "x12parser"

Segment = list[str]


@functools.cache
def classpath() -> str:
    libs = maven.resolve(
        DEPLOY / "pom.xml", ROOT, expect="x12-parser-*.jar", what="the imsweb x12-parser"
    )
    classes = maven.compile_java(DEPLOY / "ReadX12.java", libs, ROOT)
    return f"{libs}/*:{classes}"


@dataclass
class Loop:
    id: str
    segments: list[Segment]
    loops: list[Loop]

    def segment(self, seg_id: str) -> Segment | None:
        return next((s for s in self.segments if s[0] == seg_id), None)

    def child(self, loop_id: str) -> Loop | None:
        return next((c for c in self.loops if c.id == loop_id), None)


@dataclass
class ClaimSeen:
    """One 2300 loop as imsweb read it, with the loops above it."""

    clm: Segment
    billing: Loop
    subscriber: Loop  # 2010BA
    patient: Loop | None  # 2010CA
    refs: dict[str, str]
    rendering: Segment | None  # 2310B NM1
    lines: list[tuple[Segment, Segment | None]] = field(default_factory=list)  # SV1, 2420A


@dataclass
class Reading:
    errors: list[str]
    fatal: list[str]
    loops: list[Loop]

    def claims(self) -> list[ClaimSeen]:
        found: list[ClaimSeen] = []

        def walk(loop: Loop, above: dict[str, Loop]) -> None:
            if loop.id == "2300":
                found.append(_claim(loop, above))
                return
            here = {**above, loop.id: loop}
            for child in loop.loops:
                walk(child, here)

        for top in self.loops:
            walk(top, {})
        return found


def _claim(loop: Loop, above: dict[str, Loop]) -> ClaimSeen:
    def under(parent: str, child: str) -> Loop | None:
        return above[parent].child(child) if parent in above else None

    billing, subscriber = under("2000A", "2010AA"), under("2000B", "2010BA")
    assert billing is not None and subscriber is not None, "2300 outside 2000A/2000B"
    clm = loop.segment("CLM")
    assert clm is not None
    rendering = loop.child("2310B")
    lines = []
    for line in (c for c in loop.loops if c.id == "2400"):
        sv1 = line.segment("SV1")
        assert sv1 is not None
        line_rendering = line.child("2420A")
        lines.append((sv1, line_rendering.segment("NM1") if line_rendering else None))
    return ClaimSeen(
        clm=clm,
        billing=billing,
        subscriber=subscriber,
        patient=under("2000C", "2010CA"),
        refs={s[1]: s[2] for s in loop.segments if s[0] == "REF"},
        rendering=rendering.segment("NM1") if rendering else None,
        lines=lines,
    )


def _loop(raw: dict[str, Any]) -> Loop:
    return Loop(raw["id"], [list(s) for s in raw["segments"]], [_loop(c) for c in raw["loops"]])


def read_837ps(texts: list[str]) -> list[Reading]:
    """What imsweb reads in each of ``texts``, in one JVM (raises if the reader fails)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = [Path(tmp) / f"{n}.837" for n in range(len(texts))]
        for path, text in zip(paths, texts, strict=True):
            path.write_text(text)
        result = subprocess.run(
            ["java", "-cp", classpath(), "ReadX12", *map(str, paths)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"imsweb harness failed: {result.stderr.strip()[-2000:]}")
    readings = []
    for line in result.stdout.splitlines():
        raw = json.loads(line)
        readings.append(Reading(raw["errors"], raw["fatal"], [_loop(x) for x in raw["loops"]]))
    return readings


def read_837p(text: str) -> Reading:
    return read_837ps([text])[0]
