#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The report of `make bench` (scripts/bench): medians of the raw runs in build/bench/raw.jsonl,
written as build/bench/results.json, docs/benchmarks.md and gnuplot PNGs in docs/bench/.

    report.py --raw build/bench/raw.jsonl --out build/bench --docs docs [--seconds N] ...

Every figure in the Markdown comes from raw.jsonl; nothing is typed in by hand.
"""
import argparse
import glob
import json
import os
import platform
import shutil
import statistics
import struct
import subprocess

SIZES = {"udp-64": 64, "udp-512": 512, "udp-1500": 1518, "udp-imix": None}
SET_DESC = {
    "udp-64": "64 B UDP, 256 flows",
    "udp-512": "512 B UDP, 256 flows",
    "udp-1500": "1518 B UDP (1500 B IP), 256 flows",
    "udp-imix": "IMIX 7:4:1 (64/570/1518 B)",
    "macs-1k": "64 B, 1k source MACs",
    "macs-64k": "64 B, 64k source MACs",
    "mix": "TCP/UDP mix (54-1514 B)",
    "flows-1k": "64 B, 1k flows to the sink",
    "flows-1m": "64 B, 1M flows to the sink",
    "flows-1k-out": "64 B, 1k flows out (198.18/15)",
    "flows-1m-out": "64 B, 1M flows out (198.18/15)",
}
MODE_DESC = {
    "bridge": "bridge",
    "route": "route",
    "natfp": "NAT, fast path",
    "natk": "NAT, kernel",
    "isolated": "isolated",
}
PATH_DESC = {"vv": "vif->vif", "up": "vif->uplink"}


def mean_frame_bytes(path):
    """Mean frame length (bytes in the file, no FCS) of a pcap, read with struct."""
    n = total = 0
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return None
        endian = "<" if struct.unpack("<I", hdr[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            _, _, incl, _ = struct.unpack(endian + "IIII", h)
            f.seek(incl, 1)
            n += 1
            total += incl
    return total / n if n else None


def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def fmt(x, nd=3):
    return "-" if x is None else f"{x:.{nd}f}"


def machine():
    cpu, flags = "?", ""
    ncpu = os.cpu_count()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name") and cpu == "?":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                fl = line.split(":", 1)[1].split()
                flags = " ".join(f for f in ("avx2", "avx512f", "hypervisor") if f in fl)
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1048576:.1f} GiB"
    except OSError:
        pass
    u = platform.uname()
    return {"cpu": cpu, "cpus": ncpu, "flags": flags, "memory": mem,
            "kernel": f"{u.system} {u.release} {u.machine}",
            "loadavg": open("/proc/loadavg").read().split()[:3]}


def commit(top):
    try:
        h = subprocess.check_output(["git", "-C", top, "rev-parse", "--short=12", "HEAD"], text=True).strip()
        dirty = subprocess.call(["git", "-C", top, "diff", "--quiet", "HEAD", "--", ".", ":!docs"]) != 0
        return h + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "?"


def aggregate(rows, pcapdir):
    """Medians per case. Returns a list of dicts, one per (engine, mode, path, workers, set, load)."""
    groups = {}
    for r in rows:
        key = (r["engine"], r["mode"], r["path"], r.get("workers", 1), r["set"], r.get("load"))
        groups.setdefault(key, []).append(r)
    mfb = {}
    out = []
    for key, rs in sorted(groups.items(), key=lambda kv: [str(x) for x in kv[0]]):
        engine, mode, path, workers, s, load = key
        if s not in mfb:
            p = os.path.join(pcapdir, f"{s}.pcap")
            mfb[s] = mean_frame_bytes(p) if os.path.exists(p) else None
        c = {"engine": engine, "mode": mode, "path": path, "workers": workers, "set": s,
             "load": load, "runs": len(rs), "mean_frame_bytes": mfb[s]}
        if engine == "netback":
            c["offered_mpps"] = med([r["offered_mpps"] for r in rs])
            c["forwarded_mpps_runs"] = [r["forwarded_mpps"] for r in rs]
            c["forwarded_mpps"] = med(c["forwarded_mpps_runs"])
            c["forwarded_gbps"] = med([r["forwarded_gbps"] for r in rs])
            c["loss_pct"] = med([100.0 * r["lost"] / r["sent"] if r["sent"] else None for r in rs])
            c["p50_us"] = med([r["latency_us"]["p50"] if r["latency_us"]["samples"] else None for r in rs])
            c["p99_us"] = med([r["latency_us"]["p99"] if r["latency_us"]["samples"] else None for r in rs])
            c["p999_us"] = med([r["latency_us"]["p999"] if r["latency_us"]["samples"] else None for r in rs])
            drops = {}
            for r in rs:
                for k, v in r.get("drops", {}).items():
                    drops[k] = drops.get(k, 0) + v
            c["drops_all_runs"] = drops
            c["outside_rx_mpps"] = med([r["outside_rx"] / r["seconds"] / 1e6 if r.get("outside_rx") is not None else None for r in rs])
            if c["path"] == "up" and c["outside_rx_mpps"] is not None:
                # What reached the far end of the uplink, not what the switch handed to it.
                c["switch_tx_mpps"] = c["forwarded_mpps"]
                c["forwarded_mpps"] = c["outside_rx_mpps"]
                fb = c["mean_frame_bytes"]
                c["forwarded_gbps"] = c["forwarded_mpps"] * fb * 8 / 1e3 if fb else None
                c["loss_pct"] = max(0.0, 100.0 * (1 - c["forwarded_mpps"] / c["offered_mpps"])) if c["offered_mpps"] else None
            c["rate_pps"] = rs[0].get("rate")
        elif engine == "memcpy":
            c["forwarded_mpps_runs"] = [r["mpps"] for r in rs]
            c["forwarded_mpps"] = med(c["forwarded_mpps_runs"])
            c["forwarded_gbps"] = med([r["gbps"] for r in rs])
        else:
            c["offered_mpps"] = med([r["mpps"] for r in rs])
            c["forwarded_mpps_runs"] = [r["delivered"] / r["seconds"] / 1e6 for r in rs]
            c["forwarded_mpps"] = med(c["forwarded_mpps_runs"])
            c["forwarded_gbps"] = (c["forwarded_mpps"] * mfb[s] * 8 / 1e3) if mfb[s] and c["forwarded_mpps"] is not None else None
            c["loss_pct"] = med([100.0 * max(0, 1 - r["delivered"] / r["sent"]) if r["sent"] else None for r in rs])
        out.append(c)
    for c in out:
        # OVS forwards on threads of its own, not on the injector's core: no differential.
        if c["engine"].startswith("kernel-") and c["engine"] != "kernel-base":
            base = next((b for b in out if b["engine"] == "kernel-base" and b["set"] == c["set"]), None)
            d, b = c.get("forwarded_mpps"), base and base.get("forwarded_mpps")
            # Within 15 % of the ceiling the difference is noise: the peer kept up with the
            # injector and its capacity is not measurable this way.
            if d and b and d < 0.85 * b:
                c["capacity_mpps"] = 1 / (1 / d - 1 / b)
    return out


def find(cases, **kw):
    for c in cases:
        if all(c.get(k) == v for k, v in kw.items()):
            return c
    return None


def ratio(a, b):
    if not a or not b or a.get("forwarded_mpps") in (None, 0) or b.get("forwarded_mpps") in (None, 0):
        return None
    return a["forwarded_mpps"] / b["forwarded_mpps"]


PEERS = [("kernel-bridge", "Linux bridge (veth)"), ("kernel-route", "Linux IPv4 forwarding"),
         ("kernel-nat", "Linux forwarding + nft masquerade"), ("ovs-netdev", "OVS, userspace datapath (NORMAL)")]


def plots(cases, out, docs):
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot not installed: no plots (scripts/install-deps --bench)"
    pdir = os.path.join(out, "plot")
    os.makedirs(pdir, exist_ok=True)
    series = [("netback bridge vif->vif", dict(engine="netback", mode="bridge", path="vv", workers=1, load=None)),
              ("netback route vif->vif", dict(engine="netback", mode="route", path="vv", workers=1, load=None)),
              ("netback bridge vif->vif, 2 workers", dict(engine="netback", mode="bridge", path="vv", workers=2, load=None)),
              ("Linux bridge", dict(engine="kernel-bridge")), ("Linux forwarding", dict(engine="kernel-route")),
              ("OVS netdev", dict(engine="ovs-netdev")), ("injector ceiling (veth)", dict(engine="kernel-base")),
              ("memcpy bound", dict(engine="memcpy"))]
    plot_cmds = []
    for i, (name, sel) in enumerate(series):
        pts = []
        for s in SIZES:
            c = find(cases, set=s, **sel)
            if c and c.get("forwarded_mpps") and c.get("mean_frame_bytes"):
                pts.append((c["mean_frame_bytes"] + 4, c["forwarded_mpps"]))
        if not pts:
            continue
        f = os.path.join(pdir, f"s{i}.dat")
        with open(f, "w") as fh:
            for x, y in sorted(pts):
                fh.write(f"{x} {y}\n")
        plot_cmds.append(f"'{f}' using 1:2 with linespoints title '{name}'")
    os.makedirs(os.path.join(docs, "bench"), exist_ok=True)
    png1 = os.path.join(docs, "bench", "mpps-vs-size.png")
    png2 = os.path.join(docs, "bench", "latency-cdf.png")
    script = [f"set terminal pngcairo size 900,560" if False else "set terminal png size 900,560",
              f"set output '{png1}'", "set logscale y", "set xlabel 'frame size (bytes, with FCS; IMIX at its mean)'",
              "set ylabel 'Mpps forwarded (median)'", "set key below", "set grid",
              "set title 'Forwarding rate vs frame size (one run of make bench)'"]
    if plot_cmds:
        script.append("plot " + ", ".join(plot_cmds))
    cdfs = []
    for label, pat in (("bridge 64 B, max rate", "bridge-vv-w1-udp-64-r*.0.txt"), ("bridge 64 B, 50 % load", "latency50-r*.txt")):
        files = sorted(glob.glob(os.path.join(out, "cdf", pat)))
        if files:
            # The run whose p50 is the median of the runs.
            def p50(fn):
                for line in open(fn):
                    v, q = line.split()
                    if float(q) >= 0.5:
                        return float(v)
                return 0.0
            files.sort(key=p50)
            f = files[len(files) // 2]
            if os.path.getsize(f):
                cdfs.append(f"'{f}' using ($1/1000):2 with steps title '{label}'")
    script += ["unset logscale", f"set output '{png2}'", "set logscale x", "set xlabel 'latency (us, generator stamp to sink)'",
               "set ylabel 'fraction of frames'", "set title 'Latency CDF, netback bridge vif->vif'", "set key below"]
    if cdfs:
        script.append("plot " + ", ".join(cdfs))
    sp = os.path.join(pdir, "plots.gp")
    with open(sp, "w") as fh:
        fh.write("\n".join(script) + "\n")
    r = subprocess.run([gp, sp], capture_output=True, text=True)
    if r.returncode:
        return "gnuplot failed: " + r.stderr.strip()[:300]
    for p in (png1, png2):
        if os.path.exists(p):
            shutil.copy(p, out)
    return None


def markdown(cases, meta, plot_err):
    L = []
    A = L.append
    A("# Benchmarks")
    A("")
    A("Written by `make bench` (scripts/bench, tests/bench/report.py) from one run; every number below "
      "is the median of the runs listed, measured on this machine in that run. Do not edit by hand: "
      "run `make bench` (or `make bench BENCH_QUICK=1`) again.")
    A("")
    m = meta["machine"]
    A(f"- Commit: `{meta['commit']}`, run {meta['date']} ({'quick' if meta['quick'] else 'full'} mode, "
      f"{meta['runs']} rounds x {meta['secs']} s per case after a 1 s warm-up; each round runs every case "
      f"once, so host drift hits all contenders alike; {meta['seconds']} s in total)")
    A(f"- Machine: {m['cpu']}, {m['cpus']} CPUs ({m['flags']}), {m['memory']}, {m['kernel']}; "
      f"load average at the end {' '.join(m['loadavg'])}")
    A("- **Noise:** the machine is a shared 2-vCPU VM; other jobs ran during this run, so absolute rates "
      "move by tens of percent between runs. Compare the ratios of the same run, not the absolute figures "
      "with another machine.")
    A("- Generator and sink of netback's rows: `nb-bench` (one process, one thread, busy-polling both "
      "guests' rings; frames preloaded into granted guest pages). With 2 vCPUs, netbackd's worker and nb-bench "
      "each take one; the 2-worker rows run two networks with two nb-bench processes, i.e. 4 busy threads on 2 "
      "vCPUs, so they show contention, not scaling.")
    A("- Peers' traffic comes from `afp-inject` (tests/bench/afp-inject.c: AF_PACKET, PACKET_QDISC_BYPASS, "
      "sendmmsg x 64) into a veth pair; its own ceiling on a plain veth pair is the *injector ceiling* row. "
      "A peer delivering close to that ceiling is injector-bound, and its row is a lower bound of its capacity.")
    A("")
    A("## netback, native engine")
    A("")
    A("| mode | path | workers | traffic | offered Mpps | forwarded Mpps | Gbit/s | loss % | p50 us | p99 us | p99.9 us | drops (all runs) |")
    A("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for c in cases:
        if c["engine"] != "netback":
            continue
        fwd = c["forwarded_mpps"]
        drops = ", ".join(f"{k} {v}" for k, v in sorted(c["drops_all_runs"].items()) if k != "fwd_flood") or "none"
        traffic = SET_DESC.get(c["set"], c["set"])
        if c.get("load"):
            traffic += f", at {c['rate_pps'] / 1e6:.2f} Mpps (50 % load)"
        A(f"| {MODE_DESC.get(c['mode'], c['mode'])} | {PATH_DESC.get(c['path'], c['path'])} | {c['workers']} | {traffic} | "
          f"{fmt(c['offered_mpps'])} | {fmt(fwd)} | {fmt(c['forwarded_gbps'], 2)} | {fmt(c['loss_pct'], 2)} | "
          f"{fmt(c['p50_us'], 1)} | {fmt(c['p99_us'], 1)} | {fmt(c['p999_us'], 1)} | {drops} |")
    A("")
    A("vif->uplink: forwarded = frames counted at the far end of the uplink's veth (nft ingress counter in "
      "the outside namespace); latency is not measured there (no sink guest).")
    A("")
    dpdk = meta.get("dpdk_ratio")
    if dpdk:
        A("## netback, DPDK engine, against dpdk-testpmd and OVS-DPDK (same run)")
        A("")
        A("`tests/bench/dpdk-ratio.sh` in this run: two `net_pcap` ports (`infinite_rx`), 64 B UDP, "
          "256 MAC pairs, one forwarding core for each contender (two for `netbackd bridge2`: the bridge "
          "spread over two workers with `net-create --workers 2`, two rx queues per port); medians of the "
          "runs shown, and the same divided by the forwarding threads' on-CPU share (the machine is "
          "shared).")
        A("")
        A("```")
        A(dpdk.rstrip())
        A("```")
    else:
        A("DPDK engine: not measured in this run (`BENCH_ONLY` without `dpdk`).")
    A("")
    A("## Peers on the same traffic")
    A("")
    A("| peer | traffic | injected Mpps | delivered Mpps | Gbit/s | loss % | differential capacity Mpps |")
    A("|---|---|---|---|---|---|---|")
    for eng, name in [("kernel-base", "injector ceiling (veth pair, no DUT)")] + PEERS:
        for c in cases:
            if c["engine"] == eng:
                A(f"| {name} | {SET_DESC.get(c['set'], c['set'])} | {fmt(c['offered_mpps'])} | {fmt(c['forwarded_mpps'])} | "
                  f"{fmt(c['forwarded_gbps'], 2)} | {fmt(c['loss_pct'], 2)} | {fmt(c.get('capacity_mpps'))} |")
    A("")
    A("veth transmits into the receiver's backlog on the sending CPU, so the injector, the DUT's "
      "forwarding and the sink's drop all run on the injector's core: *delivered* is what one core does "
      "for injection plus forwarding. *Differential capacity* removes the injector's own cost, measured on "
      "the plain veth pair with the same frames: 1 / (1/delivered - 1/ceiling), the per-core forwarding "
      "capacity of the DUT alone (the single-core differential method of perf-anchors.md; meaningful "
      "only when both runs kept that core busy, noisy on a shared machine, and left out (-) when the peer "
      "delivered within 15 % of the ceiling).")
    A("")
    A("### memcpy bound")
    A("")
    A("One core copying each frame of the same pcap once into a ring of 256 page buffers "
      "(tests/bench/membound.c): the physical limit of a copy-based ring on this machine.")
    A("")
    A("| traffic | Mpps | Gbit/s |")
    A("|---|---|---|")
    for c in cases:
        if c["engine"] == "memcpy":
            A(f"| {SET_DESC.get(c['set'], c['set'])} | {fmt(c['forwarded_mpps'], 2)} | {fmt(c['forwarded_gbps'], 1)} |")
    A("")
    A("## Ratios (netback forwarded / peer, same traffic, medians)")
    A("")
    A("| netback case | vs | traffic | ratio |")
    A("|---|---|---|---|")
    pairs = [(dict(mode="bridge", path="vv", workers=1), "kernel-bridge"), (dict(mode="bridge", path="vv", workers=1), "ovs-netdev"),
             (dict(mode="bridge", path="vv", workers=1), "memcpy"), (dict(mode="route", path="vv", workers=1), "kernel-route"),
             (dict(mode="route", path="up", workers=1), "kernel-route"), (dict(mode="natfp", path="up", workers=1), "kernel-nat"),
             (dict(mode="natk", path="up", workers=1), "kernel-nat")]
    for sel, peer in pairs:
        for s in list(SIZES) + ["flows-1k-out"]:
            a = find(cases, engine="netback", set=s, load=None, **sel)
            b = find(cases, engine=peer, set=s)
            r = ratio(a, b)
            if r is not None:
                A(f"| {MODE_DESC[sel['mode']]} {PATH_DESC[sel['path']]} | {dict(PEERS).get(peer, peer)} | {SET_DESC[s]} | {r:.2f} |")
    A("")
    A("Ratios between netback's own modes (same run):")
    A("")
    br = find(cases, engine="netback", mode="bridge", path="vv", workers=1, set="udp-64", load=None)
    for sel, name in ((dict(mode="route", path="vv"), "route vif->vif / bridge vif->vif, 64 B"),
                      (dict(mode="natfp", path="vv"), "NAT fast path vif->vif / bridge vif->vif, 64 B"),
                      (dict(mode="isolated", path="vv"), "isolated / bridge, 64 B")):
        r = ratio(find(cases, engine="netback", workers=1, set="udp-64", load=None, **sel), br)
        A(f"- {name}: {fmt(r, 2)}")
    A("")
    A("## Goals (issue 8) against this run")
    A("")
    g64 = br["forwarded_mpps"] if br else None
    kb = find(cases, engine="kernel-bridge", set="udp-64")
    b1500 = find(cases, engine="netback", mode="bridge", path="vv", workers=1, set="udp-1500", load=None)
    rt = find(cases, engine="netback", mode="route", path="vv", workers=1, set="udp-64", load=None)
    nf = find(cases, engine="netback", mode="natfp", path="up", workers=1, set="flows-1k-out", load=None)
    bu = find(cases, engine="netback", mode="bridge", path="up", workers=1, set="flows-1k-out", load=None)
    half = find(cases, engine="netback", mode="bridge", path="vv", workers=1, set="udp-64", load=0.5)
    A("| goal | measured | met |")
    A("|---|---|---|")
    def row(goal, val, ok):
        A(f"| {goal} | {val} | {'-' if ok is None else ('yes' if ok else 'no')} |")
    row("bridge vif->vif 64 B, 1 worker >= 10 Mpps", f"{fmt(g64)} Mpps", None if g64 is None else g64 >= 10)
    r = ratio(br, kb)
    row(">= 5x the kernel bridge, same traffic", f"{fmt(r, 2)}x (kernel row may be injector-bound)", None if r is None else r >= 5)
    v = b1500["forwarded_gbps"] if b1500 else None
    row("vif->vif 1500 B >= 40 Gbit/s, 1 worker", f"{fmt(v, 2)} Gbit/s", None if v is None else v >= 40)
    r = ratio(rt, br)
    row("route >= 0.7x bridge (64 B vif->vif)", fmt(r, 2), None if r is None else r >= 0.7)
    r = ratio(nf, bu)
    row("fast-path NAT >= 0.5x bridge (64 B, 1k flows, vif->uplink both)", fmt(r, 2), None if r is None else r >= 0.5)
    v = half["p99_us"] if half else None
    row("p99 latency at 50 % load < 50 us", f"{fmt(v, 1)} us", None if v is None else v < 50)
    A("")
    A("## Plots")
    A("")
    if plot_err:
        A(f"No plots: {plot_err}")
    else:
        A("![Mpps vs frame size](bench/mpps-vs-size.png)")
        A("")
        A("![Latency CDF](bench/latency-cdf.png)")
    A("")
    A("## How it runs")
    A("")
    A("`make bench` = `scripts/bench`: generates the traffic sets (tests/bench/gen-traffic.py, into "
      "build/bench/pcap), then for each case starts nb-simhv and netbackd in a namespace, creates the network "
      "and the generator/sink domains and vifs (`nb-simhv domain-create`, `nbctl network-attach`), and runs "
      "`nb-bench` (1 s warm-up, then the measured interval); kernel peers in namespaces pa-style "
      "(gen == DUT == sink over veth, the sink drops IPv4 at ingress and counts it); OVS by hand "
      "(ovsdb-server + ovs-vswitchd, `datapath_type=netdev`, files under build/bench/ovs) inside the DUT "
      "namespace, never via systemd. Raw runs: build/bench/raw.jsonl; medians: build/bench/results.json.")
    A("")
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--docs", required=True)
    ap.add_argument("--seconds", type=int, default=0)
    ap.add_argument("--quick", default="0")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--secs", default="?")
    a = ap.parse_args()
    rows = [json.loads(l) for l in open(a.raw) if l.strip()]
    cases = aggregate(rows, os.path.join(a.out, "pcap"))
    top = os.path.dirname(os.path.abspath(a.docs))
    meta = {"commit": commit(top), "date": subprocess.check_output(["date", "-u", "+%Y-%m-%d %H:%M UTC"], text=True).strip(),
            "machine": machine(), "quick": a.quick not in ("0", ""), "runs": a.runs, "secs": a.secs, "seconds": a.seconds}
    dr = os.path.join(a.out, "dpdk-ratio.txt")
    if os.path.exists(dr):
        meta["dpdk_ratio"] = open(dr).read()
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "cases": cases}, f, indent=1)
    err = plots(cases, a.out, a.docs)
    with open(os.path.join(a.docs, "benchmarks.md"), "w") as f:
        f.write(markdown(cases, meta, err))
    print(f"bench: wrote {os.path.join(a.out, 'results.json')}, {os.path.join(a.docs, 'benchmarks.md')}"
          + (f" ({err})" if err else ", docs/bench/*.png"))


if __name__ == "__main__":
    main()
