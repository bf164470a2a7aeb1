"""Run every user program and print a classification table.

    PYTHONPATH=/work/wt/break python tests/user_programs/run_checker.py [-v] [name ...]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from user_programs import harness  # noqa: E402


def main(argv):
    verbose = "-v" in argv
    markdown = "--markdown" in argv
    names = [a for a in argv if not a.startswith("-")]
    cases = harness.load_all()
    counts = {}
    for name, c in cases.items():
        if names and not any(n in name or n in c.module for n in names):
            continue
        o = harness.run_case(c)
        counts[o.status] = counts.get(o.status, 0) + 1
        flag = "" if harness.acceptable(o) else "  <-- FAIL"
        spec = " (outside SPEC)" if c.outside_spec else ""
        if markdown:
            status = o.status + ("" if harness.acceptable(o) else " (FAIL)")
            note = o.detail.replace("|", "/")[:160] if o.status != "PASS" else ""
            print(f"| {name} | {c.module.split('.')[-1][5:]} | {c.desc.replace('|', '/')} | {status} | {note} |")
            continue
        print(f"{o.status:9s} {name:34s} {c.module.split('.')[-1]:18s} {o.detail[:300]}{spec}{flag}")
        if verbose and o.error:
            print(o.error)
    print(counts)


if __name__ == "__main__":
    main(sys.argv[1:])
