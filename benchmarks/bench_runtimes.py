"""Deployment runtimes (issues 11, 20): the lab against minimal hand-written sessions, and the runtime table.

For V1 and V2 (α = 1, 224 px, batch 1) on 1 and 2 threads:

1. **Parity**: each runtime's median as the lab measures it (``explorer.runtimes.measure_runtime``:
   output check, then ``time_call``) against a minimal hand-written session of that runtime on the
   same file (the bytes the lab exported), timed with a plain ``perf_counter`` loop. Rounds
   alternate which goes first. Target: median lab / plain within 10% (0.90–1.10).
2. **The runtime table**: median, IQR and runs of each runtime as the lab reports them (medians over
   the rounds), with the output check (fp32 max abs diff, int8 SQNR and cosine) and ONNX Runtime's
   per-layer coverage; then the layers int8 speeds up most and least on ONNX Runtime.

    python benchmarks/bench_runtimes.py [--rounds 3] [--budget 2] [--threads 1,2] [--archs v1,v2]
                                        [--width 1.0] [--resolution 224] [--runtimes eager,onnxruntime,...]

Exports happen once per config (seconds; ExecuTorch's int8 lowering ~30 s) before any timing.
On a shared machine timings drift 10–30%: compare within one run, read the per-round ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _common import report

from explorer import paper_config
from explorer.runtimes import LABELS, RUNTIMES, available_runtimes, layer_speedups, measure_runtime
from explorer.runtimes.comparison import check_input, reference_model

PARITY_TOLERANCE = 0.10


# --- minimal hand-written sessions (the runtimes' own APIs, nothing of the lab) ---------------------


def plain_ort(data: bytes, x, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: x.numpy()}
    return lambda: session.run(None, feed)


def plain_executorch(data: bytes, x, threads: int):
    from executorch.extension.pybindings import portable_lib
    from executorch.runtime import Runtime

    portable_lib._unsafe_reset_threadpool(threads)
    method = Runtime.get().load_program(data).load_method("forward")
    return lambda: method.execute([x])


def plain_litert(data: bytes, x, threads: int):
    """A plain LiteRT interpreter on the same .tflite bytes (int8: the input quantized once, outside the loop)."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_content=data, num_threads=threads)
    interpreter.allocate_tensors()
    (inp,), (out,) = interpreter.get_input_details(), interpreter.get_output_details()
    value = x.numpy()
    if inp["dtype"] != np.float32:
        scale, zero_point = inp["quantization"]
        value = np.clip(np.round(value / scale) + zero_point, -128, 127).astype(inp["dtype"])

    def call():
        interpreter.set_tensor(inp["index"], value)
        interpreter.invoke()
        return interpreter.get_tensor(out["index"])

    return call


def plain_median_ms(call, budget_s: float) -> float:
    for _ in range(2):
        call()
    samples, start = [], time.perf_counter()
    while len(samples) < 3 or time.perf_counter() - start < budget_s:
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e3


def artifact_bytes(config, runtime: str, model) -> bytes:
    """The exact bytes the lab measured (the exports are cached per config and weights)."""
    from explorer.runtimes.executorch_runtime import export_pte
    from explorer.runtimes.litert_runtime import export_tflite
    from explorer.runtimes.onnx_export import export_onnx
    from explorer.runtimes.onnx_runtime import quantize_onnx

    if runtime == "onnxruntime":
        return export_onnx(config, model).data
    if runtime == "onnxruntime-int8":
        return quantize_onnx(config, export_onnx(config, model), model).data
    if runtime.startswith("litert"):
        return export_tflite(config, model, int8=runtime == "litert-int8").data
    return export_pte(config, model, int8=runtime == "executorch-int8").data


def plain_call(config, runtime: str, model, threads: int):
    x = check_input(config, 1)
    data = artifact_bytes(config, runtime, model)
    plain = plain_ort if runtime.startswith("onnxruntime") else plain_litert if runtime.startswith("litert") else plain_executorch
    return plain(data, x, threads)


# --- main -------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--budget", type=float, default=2.0, help="seconds per lab measurement (as the app)")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--archs", default="v1,v2")
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--resolution", type=int, default=224)
    parser.add_argument("--runtimes", default=",".join(RUNTIMES))
    args = parser.parse_args()
    thread_counts = [int(t) for t in args.threads.split(",")]
    wanted = [r for r in args.runtimes.split(",") if r]
    missing = {r: why for r, why in available_runtimes().items() if why and r in wanted}
    for runtime, why in missing.items():
        print(f"skipping {runtime}: {why}")
    runtimes = [r for r in wanted if r not in missing]
    from explorer.latency import WHOLE_MODEL_SHARE

    results: dict[str, object] = {}
    failures = []
    for arch in args.archs.split(","):
        config = paper_config(arch, width_multiplier=args.width, resolution=args.resolution)
        model = reference_model(config)
        name = f"{config.arch} {args.width:g}/{args.resolution}"
        started = time.perf_counter()
        for runtime in runtimes:  # export (and check) everything first: no export inside the timed rounds
            if runtime != "eager":
                measure_runtime(config, runtime, threads=1, budget_s=0.05, model=model)
        print(f"\n== {name}: exports ready in {time.perf_counter() - started:.0f} s")
        for threads in thread_counts:
            lab: dict[str, list] = {r: [] for r in runtimes}
            ratios: dict[str, list[float]] = {r: [] for r in runtimes if r != "eager"}
            for round_ in range(args.rounds):
                for runtime in runtimes:
                    order = ("lab", "plain") if round_ % 2 == 0 else ("plain", "lab")
                    plain_ms = None
                    for which in order:
                        if which == "lab":
                            result = measure_runtime(config, runtime, threads=threads, budget_s=args.budget, model=model)
                            lab[runtime].append(result)
                        elif runtime != "eager":
                            plain_ms = plain_median_ms(plain_call(config, runtime, model, threads), args.budget * WHOLE_MODEL_SHARE)
                    if plain_ms is not None and result.ok:
                        ratios[runtime].append(result.median_ms / plain_ms)
            print(f"\n{name}, batch 1, {threads} thread(s): median and IQR are medians over {args.rounds} round(s) of the lab's own figures")
            print(f"{'runtime':28} {'median ms':>10} {'IQR ms':>8} {'n':>6}  {'lab/plain':>20}  output vs eager; per-layer coverage")
            eager_ms = None
            for runtime in runtimes:
                rs = [r for r in lab[runtime] if r.ok]
                if not rs:
                    print(f"{LABELS[runtime]:28} FAILED: {lab[runtime][0].failure}")
                    failures.append(f"{name} {threads}t {runtime}: failed")
                    continue
                med = statistics.median(r.median_ms for r in rs)
                iqr = statistics.median(r.iqr_ms for r in rs)
                n = sum(r.runs for r in rs)
                eager_ms = med if runtime == "eager" else eager_ms
                rr = ratios.get(runtime, [])
                parity = f"{statistics.median(rr):.3f} ({min(rr):.2f}–{max(rr):.2f})" if rr else "—"
                check = (f"SQNR {rs[0].output_sqnr_db:.1f} dB, cos {rs[0].output_cosine:.3f}" if rs[0].output_sqnr_db is not None
                         else f"max|Δ| {rs[0].output_max_abs_diff:.1e}")
                cov = statistics.median(r.coverage for r in rs) if rs[0].coverage is not None else None
                coverage = f"; coverage {cov:.2f}" if cov is not None else ""
                speed = f"; {eager_ms / med:.1f}× eager" if eager_ms and runtime != "eager" else ""
                print(f"{LABELS[runtime]:28} {med:10.2f} {iqr:8.2f} {n:6d}  {parity:>20}  {check}{coverage}{speed}")
                ok_parity = not rr or abs(statistics.median(rr) - 1) <= PARITY_TOLERANCE
                if not ok_parity:
                    failures.append(f"{name} {threads}t {runtime}: lab/plain {statistics.median(rr):.3f}")
                results[f"{config.arch}/{threads}t/{runtime}"] = {
                    "median_ms": med, "iqr_ms": iqr, "n": n, "rounds": len(rs),
                    "lab_over_plain": statistics.median(rr) if rr else None, "parity_ok": ok_parity,
                    "output_max_abs_diff": rs[0].output_max_abs_diff, "output_sqnr_db": rs[0].output_sqnr_db,
                    "output_cosine": rs[0].output_cosine, "coverage": cov, "threads_used": rs[0].threads,
                }
            fp32, int8 = lab.get("onnxruntime"), lab.get("onnxruntime-int8")
            if fp32 and int8 and fp32[-1].ok and int8[-1].ok:
                rows = layer_speedups(fp32[-1], int8[-1])
                print("ONNX Runtime int8 vs fp32 per layer, most: " + ", ".join(f"{n} {r:.1f}×" for n, _, _, r in rows[:3])
                      + "; least: " + ", ".join(f"{n} {r:.2f}×" for n, _, _, r in rows[-3:]))
    print(f"\nparity target: lab / plain within {PARITY_TOLERANCE:.0%}: " + ("all met" if not failures else "NOT met: " + "; ".join(failures)))
    report("runtimes", {"budget_s": args.budget, "rounds": args.rounds, "results": results, "failures": failures})


if __name__ == "__main__":
    main()
