"""The short table `make bench` prints, and the issue 10 targets checked against the results."""

from __future__ import annotations

from typing import Any


def _median(x: dict[str, float] | float) -> float:
    return x["median"] if isinstance(x, dict) else x


def _fmt(value: float) -> str:
    if value == 0 or 0.01 <= abs(value) < 10_000:
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.2e}"


def _spread(x: dict[str, float], scale: float = 1.0) -> str:
    """'median [min-max]'."""
    return f"{_fmt(x['median'] * scale)} [{_fmt(x['min'] * scale)}-{_fmt(x['max'] * scale)}]"


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 10's targets, each with its measured median and whether it is met (None: not
    measured in this run). Measured, never asserted: nothing fails on them."""
    out: list[dict[str, Any]] = []

    def add(name: str, goal: str, value: float | None, met: bool | None) -> None:
        out.append({"target": name, "goal": goal, "measured": value, "met": met})

    engine = results.get("engine")
    if engine:
        v = _median(engine["speedup_over_event_driven"])
        add("reesim per replication vs event-driven licence-queue model", ">= 1x", v, v >= 1)
        v = _median(engine["speedup_over_daily_tick"])
        add("reesim per replication vs daily-tick controls-2025 model", ">= 3x", v, v >= 3)
        for name in ("controls-2025", "replay-2025"):
            v = _median(engine["reesim"][name]["events_per_s_share_of_simpy"])
            add(f"engine events/s vs raw SimPy timeouts/s, {name}", ">= 0.40", v, v >= 0.40)
        v = _median(engine["reesim_help"]["cpu_s"])
        add("`reesim --help` CPU seconds", "<= 0.3 s", v, v <= 0.3)
    firms = {row["firms"]: row for row in results.get("firms", [])}
    if 10 in firms and 1_000 in firms:
        v = firms[1_000]["events_per_s"] / firms[10]["events_per_s"]
        add("events/s at 1,000 firms vs 10 firms", ">= 0.75", v, v >= 0.75)
    if firms:
        v = max(row["measure_share_of_simulate"] for row in firms.values())
        add("KPI time / simulation time, largest over firm sizes", "< 0.10", v, v < 0.10)
    parallel = results.get("parallel")
    if parallel:
        v = _median(parallel["speedup_wall"])
        add(
            f"-j 2 vs -j 1 wall, {parallel['replications']} replications",
            ">= 1.8x (idle)",
            v,
            v >= 1.8,
        )
    memory = {row["replications"]: row for row in results.get("memory", [])}
    if 1_000 in memory and 100_000 in memory:
        v = memory[100_000]["peak_rss_mib"] / memory[1_000]["peak_rss_mib"]
        add("peak memory, 100,000 vs 1,000 replications", "<= 1.15", v, v <= 1.15)
    return out


def _left_behind(processes: dict[str, dict[str, Any]]) -> list[str]:
    return [
        f"  {name}: {p['runs_that_left_processes_behind']} of {p['cpu_s']['n']} runs left "
        "processes running when they ended (killed by the benchmark)"
        for name, p in processes.items()
        if p.get("runs_that_left_processes_behind")
    ]


def summary(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        f"reesim {m['reesim']} ({m['commit']}) on {m['cpu']}, {m['cores']} cores, "
        f"Python {m['python']}, {results['date']}, {results['mode']} run; load average "
        f"{results['load_average_before'][0]:.2f} before, {results['load_average_after'][0]:.2f} after",
        "figures: median [min-max] over interleaved runs; CPU seconds unless marked wall",
    ]
    engine = results.get("engine")
    if engine:
        lines += [
            "",
            "engine: CPU per replication (simulate + KPIs) inside the process",
            f"  {'':28s} {'ms/replication':>24s} {'events/rep':>11s} {'events/s':>10s}"
            f" {'of SimPy':>9s} {'KPIs/sim':>9s} {'background filings/rep':>23s}",
        ]
        for name, f in engine["reesim"].items():
            lines.append(
                f"  {'reesim ' + name:28s} {_spread(f['s_per_replication'], 1000):>24s} "
                f"{_fmt(f['events_per_replication']):>11s} {_fmt(_median(f['events_per_s'])):>10s} "
                f"{100 * _median(f['events_per_s_share_of_simpy']):8.1f}% "
                f"{100 * _median(f['measure_share_of_simulate']):8.1f}% "
                f"{_fmt(f.get('background_filings_per_replication', float('nan'))):>23s}"
            )
        refs = engine["references"]
        for label, key, ratio in (
            ("daily-tick controls-2025", "daily_tick_controls_2025", "speedup_over_daily_tick"),
            (
                "event-driven licence-queue",
                "event_driven_licence_queue",
                "speedup_over_event_driven",
            ),
        ):
            lines.append(
                f"  {label:28s} {_spread(refs[key]['s_per_replication'], 1000):>24s}   "
                f"reesim {_spread(engine[ratio])}x as fast"
            )
        lines.append(
            f"  {'raw SimPy timeouts/s':28s} {_spread(engine['simpy_timeouts_per_s']):>24s}"
        )
        lines.append(
            f"  {'reesim --help, CPU s':28s} {_spread(engine['reesim_help']['cpu_s']):>24s}"
        )
    p = results.get("parallel")
    if p:
        lines += [
            "",
            f"parallel: reesim run {p['scenario']} -n {p['replications']} (whole process)",
            f"  -j 1 wall {_spread(p['j1']['wall_s'])} s, -j 2 wall {_spread(p['j2']['wall_s'])} s: "
            f"speed-up {_spread(p['speedup_wall'])}x; CPU -j 2 / -j 1 {_spread(p['cpu_j2_over_j1'])}",
        ]
        lines += _left_behind({"-j 1": p["j1"], "-j 2": p["j2"]})
    d = results.get("dask")
    if d:
        lines += [
            "",
            f"dask: reesim sweep {d['scenario']} --vary {d['sweep']} ({d['replications']} replications)",
            f"  -j 2 wall {_spread(d['local_j2']['wall_s'])} s, --dask-local 2 wall "
            f"{_spread(d['dask_local_2']['wall_s'])} s: Dask/local wall "
            f"{_spread(d['dask_over_local_wall'])}, CPU {_spread(d['dask_over_local_cpu'])}",
        ]
        lines += _left_behind({"-j 2": d["local_j2"], "--dask-local 2": d["dask_local_2"]})
    if results.get("memory"):
        lines += ["", "memory: reesim run licence-queue -n N -j 1 (peak RSS of the process)"]
        for row in results["memory"]:
            lines.append(
                f"  {row['replications']:>7,} replications  {row['peak_rss_mib']:7.0f} MiB  "
                f"{row['wall_s']:7.1f} s wall"
            )
    for kind, title in (
        ("firms", "firms (generated)"),
        ("applicants", "population: one buyer of N importers"),
    ):
        label = "firms" if kind == "firms" else "importers"
        rows = results.get("firms" if kind == "firms" else "population")
        if not rows:
            continue
        lines += ["", f"{title}: per replication"]
        for row in rows:
            lines.append(
                f"  {row[kind]:>6,} {label:10s} {_fmt(row['events_per_replication']):>10s} events "
                f"{_fmt(row['s_per_replication']):>8s} s  {_fmt(row['events_per_s']):>8s} events/s  "
                f"KPIs {100 * row['measure_share_of_simulate']:5.1f}%  {row['peak_rss_mib']:6.0f} MiB"
            )
        replay = (results.get("engine") or {}).get("reesim", {}).get("replay-2025")
        if kind == "applicants" and replay:
            who = (
                f" ({replay['importers']:,} importers in {replay['firms']} buyers)"
                if "importers" in replay
                else ""
            )
            lines.append(
                f"  replay-2025{who} {_fmt(replay['events_per_replication'])} events "
                f"{_fmt(_median(replay['s_per_replication'])):>8s} s  "
                f"{_fmt(_median(replay['events_per_s'])):>8s} events/s  (engine section)"
            )
    if results.get("targets"):
        lines += ["", "issue 10 targets (measured, not asserted)"]
        for t in results["targets"]:
            mark = {True: "met", False: "NOT met", None: "-"}[t["met"]]
            lines.append(f"  {t['target']:58s} {t['goal']:>15s}  {_fmt(t['measured']):>8s}  {mark}")
    return "\n".join(lines)
