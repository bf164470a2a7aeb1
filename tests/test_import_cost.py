"""`import srcgrad` stays cheap (issue 14 item 6): SciPy and the rule templates
load when first needed, and a SciPy rule works after its lazy load.

These run in a fresh interpreter: this process imported SciPy long ago.
`benchmarks/import_cost.py` measures the cost itself.
"""
import os
import pathlib
import subprocess
import sys
import textwrap

import srcgrad
from srcgrad.rules import deferred, registry

ROOT = pathlib.Path(srcgrad.__file__).resolve().parent.parent


def _run(tmp_path, script: str) -> str:
    """Run `script` as a file in a fresh interpreter with this srcgrad; its stdout."""
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(script))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]))
    result = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_srcgrad_imports_no_scipy_and_parses_no_template(tmp_path):
    out = _run(tmp_path, """
        import sys
        import srcgrad
        from srcgrad.rules import registry
        heavy = sorted(m for m in sys.modules
                       if m.partition(".")[0] in ("scipy", "pytest", "hypothesis", "sklearn"))
        print(heavy, len(registry._PARSED))
    """)
    assert out.split() == ["[]", "0"]


def test_every_scipy_rule_file_is_deferred_by_its_name(tmp_path):
    files = sorted(p.stem for p in (ROOT / "srcgrad" / "rules").glob("scipy*.py"))
    assert files, "no SciPy rule file found"
    out = _run(tmp_path, """
        from srcgrad.rules import deferred
        for module, namespace in sorted(deferred.pending().items()):
            print(module, namespace)
    """)
    expected = [f"srcgrad.rules.{name} {'.'.join(name.split('_')[:2])}" for name in files]
    assert out.splitlines() == expected


def test_a_scipy_rule_works_after_a_lazy_load_in_both_modes(tmp_path):
    # the function imports scipy.special after srcgrad: its rules load at the first grad
    out = _run(tmp_path, """
        import sys
        import numpy as np
        import srcgrad
        from srcgrad.rules import deferred

        assert "scipy" not in sys.modules
        import scipy.special
        from scipy.special import expit

        C = np.array([0.5, -1.0, 2.0])

        def loss(x):
            return np.sum(scipy.special.expit(x) * C) + np.sum(expit(2.0 * x) ** 2)

        x = np.array([0.3, -0.7, 1.1])
        g = srcgrad.grad(loss)(x)
        _, tangent = srcgrad.jvp(loss, (x,), (np.array([1.0, 0.0, 0.0]),))
        srcgrad.check_grads(loss, (x,), modes=("reverse", "forward"))
        s, t = scipy.special.expit(x), scipy.special.expit(2.0 * x)
        expected = C * s * (1 - s) + 2.0 * t * 2.0 * t * (1 - t)
        print(np.allclose(g, expected, rtol=1e-12, atol=0), np.isclose(tangent, expected[0]),
              not deferred.pending() or "scipy.special" not in deferred.pending().values())
    """)
    assert out.split() == ["True", "True", "True"]


def test_a_scipy_rule_loads_for_a_name_the_compiler_resolves_first(tmp_path):
    # SciPy imported by the user's module before srcgrad asks anything: the first
    # question the compiler asks about `gammaln` loads the rules
    (tmp_path / "usermod.py").write_text(textwrap.dedent("""
        import numpy as np
        from scipy.special import gammaln

        def loglik(a):
            return np.sum(gammaln(a) * np.array([1.0, 3.0]))
    """))
    out = _run(tmp_path, """
        import numpy as np
        import srcgrad
        import usermod
        from scipy.special import digamma

        a = np.array([1.5, 4.0])
        print(np.allclose(srcgrad.grad(usermod.loglik)(a), digamma(a) * np.array([1.0, 3.0])),
              np.isclose(srcgrad.jvp(usermod.loglik, (a,), (np.array([0.0, 1.0]),))[1],
                         3.0 * digamma(4.0)))
    """)
    assert out.split() == ["True", "True"]


def test_a_scipy_rule_loads_when_scipy_is_imported_after_a_build(tmp_path):
    # a first derivative built without SciPy leaves nothing due; importing SciPy after it
    # changes sys.modules, and the next question loads the rules
    out = _run(tmp_path, """
        import numpy as np
        import srcgrad

        def plain(x):
            return np.sum(np.sin(x))

        x = np.array([0.3, -0.7])
        srcgrad.grad(plain)(x)
        import scipy.special as sp

        def soft(x):
            return np.sum(sp.expit(x))

        s = sp.expit(x)
        print(np.allclose(srcgrad.grad(soft)(x), s * (1 - s), rtol=1e-12, atol=0))
    """)
    assert out.split() == ["True"]


def test_every_rule_template_parses():
    # templates are parsed at first use; a malformed one must fail here, not for a user
    deferred.load_deferred()
    registry.parse_all()
    assert not deferred.pending()
    rules = list(registry.adjoint_rules().values()) + list(registry.tangent_rules().values())
    assert rules and all(".py:" in rule.template.origin or rule.template.origin.startswith("signature")
                         for rule in rules)
