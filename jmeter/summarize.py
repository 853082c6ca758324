#!/usr/bin/env python3
"""Summaries of JMeter results (.jtl, CSV) and the scaling table.

    summarize.py run RESULTS.jtl --name NAME [--meta KEY=VALUE ...] [--out DIR]
        prints a short text summary (throughput, p50/p95/p99, error %) overall and per
        label, and writes DIR/summary.txt and DIR/summary.json (DIR = the .jtl's folder)
    summarize.py table SUMMARY.json ... [--baseline NAME] [--out FILE.md]
        a markdown table comparing runs (e.g. 1 vs 2 web instances, cache on vs off)

Throughput is requests over the wall-clock window from the first request's start to the
last one's end. Percentiles are nearest-rank over every sample's elapsed time (the
JMeter dashboard interpolates, so its figures can differ by a millisecond or two).
Standard library only.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

# Failure messages span lines inside quoted CSV fields; some are long.
csv.field_size_limit(sys.maxsize)


@dataclass
class Stats:
    samples: int
    errors: int
    error_pct: float
    throughput_rps: float
    window_s: float
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float


@dataclass
class Summary:
    name: str
    jtl: str
    overall: Stats
    labels: dict[str, Stats]
    errors_by_cause: dict[str, int] = field(default_factory=dict)
    meta: dict[str, str] = field(default_factory=dict)


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty list)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return float(sorted_values[rank - 1])


@dataclass
class Sample:
    start_ms: int
    elapsed_ms: int
    label: str
    code: str
    success: bool
    message: str


def _message(row: dict[str, str]) -> str:
    """Why a sample failed: the transport error, else the first failed assertion."""
    code = row.get("responseCode", "")
    if not code.isdigit():
        return row.get("responseMessage") or code
    return row.get("failureMessage") or row.get("responseMessage") or ""


def read_jtl(path: Path) -> list[Sample]:
    """Samples of a CSV .jtl with a header line (JMeter's default output)."""
    samples = []
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        for row in csv.DictReader(handle):
            try:
                samples.append(
                    Sample(
                        start_ms=int(row["timeStamp"]),
                        elapsed_ms=int(row["elapsed"]),
                        label=row["label"],
                        code=row.get("responseCode", ""),
                        success=row["success"].strip().lower() == "true",
                        message=_message(row),
                    )
                )
            except (KeyError, ValueError, TypeError, AttributeError):
                continue  # a truncated last line of a killed run (missing fields are None)
    return samples


def window_seconds(samples: list[Sample]) -> float:
    begin = min(s.start_ms for s in samples)
    end = max(s.start_ms + s.elapsed_ms for s in samples)
    return max((end - begin) / 1000, 0.001)


def stats(samples: list[Sample], window: float | None = None) -> Stats:
    """Figures of a set of samples; ``window`` (s) defaults to their own time span."""
    if not samples:
        return Stats(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    elapsed = sorted(s.elapsed_ms for s in samples)
    errors = sum(1 for s in samples if not s.success)
    window = window or window_seconds(samples)
    return Stats(
        samples=len(samples),
        errors=errors,
        error_pct=round(100 * errors / len(samples), 3),
        throughput_rps=round(len(samples) / window, 2),
        window_s=round(window, 1),
        mean_ms=round(sum(elapsed) / len(elapsed), 1),
        p50_ms=percentile(elapsed, 50),
        p95_ms=percentile(elapsed, 95),
        p99_ms=percentile(elapsed, 99),
        max_ms=float(elapsed[-1]),
    )


def error_causes(samples: list[Sample]) -> dict[str, int]:
    causes: dict[str, int] = defaultdict(int)
    for sample in samples:
        if not sample.success:
            lines = (sample.message or "").strip().splitlines()
            reason = lines[0][:120] if lines else ""
            code = sample.code if sample.code.isdigit() else "no response"
            causes[f"{sample.label}: {code} {reason}"] += 1
    return dict(sorted(causes.items(), key=lambda item: -item[1]))


def summarize(path: Path, name: str, meta: dict[str, str] | None = None) -> Summary:
    samples = read_jtl(path)
    by_label: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_label[sample.label].append(sample)
    return Summary(
        name=name,
        jtl=str(path),
        overall=stats(samples),
        # Per-label rates over the whole run's window, so they add up to the total.
        labels={label: stats(group, window_seconds(samples)) for label, group in by_label.items()},
        errors_by_cause=error_causes(samples),
        meta=meta or {},
    )


def render_text(summary: Summary) -> str:
    o = summary.overall
    lines = [
        f"run: {summary.name}",
        *(f"  {key}: {value}" for key, value in summary.meta.items()),
        f"  requests: {o.samples} in {o.window_s} s -> throughput {o.throughput_rps} req/s",
        f"  latency ms: p50 {o.p50_ms:.0f}  p95 {o.p95_ms:.0f}  p99 {o.p99_ms:.0f}  "
        f"mean {o.mean_ms:.0f}  max {o.max_ms:.0f}",
        f"  errors: {o.errors} ({o.error_pct:.2f} %)",
        "",
        f"  {'label':<24} {'n':>7} {'req/s':>8} {'p50':>6} {'p95':>6} {'p99':>6} {'err %':>7}",
    ]
    for label, s in sorted(summary.labels.items(), key=lambda item: -item[1].samples):
        lines.append(
            f"  {label[:24]:<24} {s.samples:>7} {s.throughput_rps:>8.1f} {s.p50_ms:>6.0f} "
            f"{s.p95_ms:>6.0f} {s.p99_ms:>6.0f} {s.error_pct:>7.2f}"
        )
    if summary.errors_by_cause:
        lines += ["", "  errors by cause:"]
        lines += [f"    {n:>5}  {cause}" for cause, n in list(summary.errors_by_cause.items())[:10]]
    return "\n".join(lines) + "\n"


def render_table(summaries: list[Summary], baseline: str | None) -> str:
    base = next((s for s in summaries if s.name == baseline), summaries[0] if summaries else None)
    lines = [
        "| run | web instances | cache | users | think ms | requests | req/s | vs baseline "
        "| p50 ms | p95 ms | p99 ms | errors | load avg | stack disturbed by |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in summaries:
        o = s.overall
        ratio = (
            f"{o.throughput_rps / base.overall.throughput_rps:.2f}x"
            if base and base.overall.throughput_rps
            else "-"
        )
        lines.append(
            f"| {s.name} | {s.meta.get('web_instances', '-')} | {s.meta.get('cache', '-')} "
            f"| {s.meta.get('users', '-')} | {s.meta.get('think_ms', '-')} | {o.samples} "
            f"| {o.throughput_rps:.1f} | {ratio} "
            f"| {o.p50_ms:.0f} | {o.p95_ms:.0f} | {o.p99_ms:.0f} | {o.error_pct:.2f} % "
            f"| {s.meta.get('load_avg_1min', '-')} | {s.meta.get('disturbed_by', '-')} |"
        )
    return "\n".join(lines) + "\n"


def load_summary(path: Path) -> Summary:
    data = json.loads(path.read_text())
    return Summary(
        name=data["name"],
        jtl=data["jtl"],
        overall=Stats(**data["overall"]),
        labels={k: Stats(**v) for k, v in data["labels"].items()},
        errors_by_cause=data.get("errors_by_cause", {}),
        meta=data.get("meta", {}),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="summarize one .jtl")
    run.add_argument("jtl", type=Path)
    run.add_argument("--name", required=True)
    run.add_argument("--meta", action="append", default=[], metavar="KEY=VALUE")
    run.add_argument("--out", type=Path, help="folder for summary.txt/.json (default: the jtl's)")
    table = sub.add_parser("table", help="markdown table of several summary.json files")
    table.add_argument("summaries", nargs="+", type=Path)
    table.add_argument("--baseline")
    table.add_argument("--out", type=Path)
    options = parser.parse_args(argv)

    if options.command == "run":
        if not options.jtl.exists():
            print(f"no results file {options.jtl}", file=sys.stderr)
            return 1
        meta = dict(item.split("=", 1) for item in options.meta if "=" in item)
        summary = summarize(options.jtl, options.name, meta)
        out = options.out or options.jtl.parent
        out.mkdir(parents=True, exist_ok=True)
        text = render_text(summary)
        (out / "summary.txt").write_text(text)
        (out / "summary.json").write_text(json.dumps(asdict(summary), indent=2) + "\n")
        print(text, end="")
        return 0 if summary.overall.samples else 1

    summaries = [load_summary(path) for path in options.summaries if path.exists()]
    markdown = render_table(summaries, options.baseline)
    if options.out:
        options.out.write_text(markdown)
    print(markdown, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
