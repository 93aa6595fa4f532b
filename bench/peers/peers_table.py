"""The benchmark's markdown table: tokens/s and peak GiB per program and sequence length, the
qlsweep / Unsloth ratios, qlsweep's MFU, and one note per row that did not finish."""

LABELS = {"qlsweep": "qlsweep", "unsloth": "Unsloth", "hf-lean": "HF lean",
          "hf-recipe": "HF recipe"}
GIB = 1024**3


def label(program):
    return LABELS.get(program, program)


def tok_cell(row):
    if row is None:
        return "-"
    if row["status"] != "done" or row["tok_s"] is None:
        return row["status"]
    return f"{row['tok_s']:,.0f}"


def gib_cell(row):
    if row is None:
        return "-"
    if row["status"] != "done" or not row["peak_bytes"]:
        return row["status"]
    return f"{row['peak_bytes'] / GIB:.2f}"


def ratio(a, b, key):
    if a is None or b is None or a["status"] != "done" or b["status"] != "done":
        return "-"
    if not a[key] or not b[key]:
        return "-"
    return f"{a[key] / b[key]:.2f}x"


def mfu_cell(row, params, peak_tflops):
    """6 N FLOPs per token (N = all base parameters) against `peak_tflops`, as a percentage."""
    if row is None or row["status"] != "done" or not row["tok_s"] or not peak_tflops:
        return "-"
    return f"{100 * 6 * params * row['tok_s'] / (peak_tflops * 1e12):.0f}%"


def render(rows, programs, seqs, header_lines, params, peak_tflops):
    """Markdown text: `header_lines` (already formatted), the table, then notes on rows that did
    not finish. `rows` are peers_jobs rows; a (program, seq) without a row shows '-'."""
    by = {(r["program"], r["seq"]): r for r in rows}
    cols = ["seq"] + [f"{label(p)} tok/s" for p in programs]
    both = "qlsweep" in programs and "unsloth" in programs
    if both:
        cols.append("qlsweep / Unsloth tok/s")
    mfu = "qlsweep" in programs and peak_tflops > 0
    if mfu:
        cols.append("qlsweep MFU")
    cols += [f"{label(p)} GiB" for p in programs]
    if both:
        cols.append("qlsweep / Unsloth GiB")
    out = list(header_lines) + ["", "| " + " | ".join(cols) + " |",
                                "|" + "|".join("---:" for _ in cols) + "|"]
    for seq in seqs:
        get = lambda p: by.get((p, seq))  # noqa: E731
        cells = [str(seq)] + [tok_cell(get(p)) for p in programs]
        if both:
            cells.append(ratio(get("qlsweep"), get("unsloth"), "tok_s"))
        if mfu:
            cells.append(mfu_cell(get("qlsweep"), params, peak_tflops))
        cells += [gib_cell(get(p)) for p in programs]
        if both:
            cells.append(ratio(get("qlsweep"), get("unsloth"), "peak_bytes"))
        out.append("| " + " | ".join(cells) + " |")
    notes = [f"- {label(r['program'])}, seq {r['seq']}: {r['status']}: {r['reason']}"
             for r in rows if r["status"] != "done"]
    if notes:
        out += ["", "Rows that did not finish:"] + notes
    return "\n".join(out) + "\n"
