"""Python's numeric errors for the numba backend: checked `**`, `math` functions, `int`, `range`.

numba's numbers follow C, not Python: `math.log(-1.0)` is NaN and
`math.exp(1000.0)` inf where Python raises ValueError or OverflowError,
`int(1e20)` and `2 ** 70` wrap at 64 bits, `2 ** -2` is 0, `range(3.0)`
runs. A user's own error must come through a derivative as it does in
Python, never as a different value, so the numba build (`checked`) calls
these instead where Python numbers meet those operations. Each gives the
value numba computes when it is Python's, and otherwise raises what Python
raises (same type, same message); where Python's value is one numba cannot
hold (an int beyond 64 bits, the float of an int to a negative power, a
complex number), it raises an error saying so instead of returning another
value. A loop pays a comparison or two per call: a function with a plain
domain (log, sqrt, sin) tests its argument before the call, which leaves
LLVM free to compute sin and cos of one angle together as with plain calls;
one that may overflow (exp, pow) tests its result, finite being enough.

Like srcgrad/native/helpers/: plain Python, `isinstance` dispatch numba
resolves when it compiles (arrays go to NumPy's operation, which warns
and gives inf or NaN in both backends), copied into the derivative's module.
"""
import math

from .helpers import SrcGradError, power_derivative


class BeyondInt64(OverflowError):
    """Python's value is an int beyond 64 bits, which numba's ints cannot hold: an
    OverflowError (as documented for backend="numba"); backend="auto" runs that call in
    Python instead (native/entry.py), as it is no error of the user's."""


class NotHeld(Exception):
    """Python's value is one numba's numbers cannot hold (the float of an int to a
    negative int power): a SrcGradError for backend="numba" (native/entry.py makes it
    one; not a subclass, which the module would define after its use); backend="auto"
    runs that call in Python instead."""


def _range(r, x):
    """r, a math function's value at x; Python's ValueError for a NaN from a number,
    its OverflowError for an infinity from a finite x (exp, cosh: too large)."""
    if r - r == 0.0:
        return r
    if r != r:
        if x == x:
            raise ValueError("math domain error")
    elif x - x == 0.0:
        raise OverflowError("math range error")
    return r


def _pole(r, x):
    """`_range`, but an infinity at x <= 0 is a pole: ValueError (gamma, lgamma)."""
    if r - r == 0.0:
        return r
    if r != r:
        if x == x:
            raise ValueError("math domain error")
    elif x - x == 0.0:
        if x <= 0.0:
            raise ValueError("math domain error")
        raise OverflowError("math range error")
    return r


def checked_sqrt(x):
    """math.sqrt(x), with Python's ValueError below 0."""
    if x < 0:
        raise ValueError("math domain error")
    return math.sqrt(x)


def checked_log(x):
    """math.log(x), with Python's ValueError at or below 0."""
    if x <= 0:
        raise ValueError("math domain error")
    return math.log(x)


def checked_log2(x):
    """math.log2(x), with Python's ValueError at or below 0."""
    if x <= 0:
        raise ValueError("math domain error")
    return math.log2(x)


def checked_log10(x):
    """math.log10(x), with Python's ValueError at or below 0."""
    if x <= 0:
        raise ValueError("math domain error")
    return math.log10(x)


def checked_log1p(x):
    """math.log1p(x), with Python's ValueError at or below -1."""
    if x <= -1:
        raise ValueError("math domain error")
    return math.log1p(x)


def checked_sin(x):
    """math.sin(x), with Python's ValueError at an infinity."""
    if math.isinf(x):
        raise ValueError("math domain error")
    return math.sin(x)


def checked_cos(x):
    """math.cos(x), with Python's ValueError at an infinity."""
    if math.isinf(x):
        raise ValueError("math domain error")
    return math.cos(x)


def checked_tan(x):
    """math.tan(x), with Python's ValueError at an infinity."""
    if math.isinf(x):
        raise ValueError("math domain error")
    return math.tan(x)


def checked_asin(x):
    """math.asin(x), with Python's ValueError outside [-1, 1]."""
    if x < -1 or x > 1:
        raise ValueError("math domain error")
    return math.asin(x)


def checked_acos(x):
    """math.acos(x), with Python's ValueError outside [-1, 1]."""
    if x < -1 or x > 1:
        raise ValueError("math domain error")
    return math.acos(x)


def checked_acosh(x):
    """math.acosh(x), with Python's ValueError below 1."""
    if x < 1:
        raise ValueError("math domain error")
    return math.acosh(x)


def checked_atanh(x):
    """math.atanh(x), with Python's ValueError outside (-1, 1)."""
    if x <= -1 or x >= 1:
        raise ValueError("math domain error")
    return math.atanh(x)


def checked_exp(x):
    """math.exp(x), with Python's OverflowError where it is too large."""
    return _range(math.exp(x), x)


def checked_expm1(x):
    """math.expm1(x), with Python's OverflowError where it is too large."""
    return _range(math.expm1(x), x)


def checked_sinh(x):
    """math.sinh(x), with Python's OverflowError where it is too large."""
    return _range(math.sinh(x), x)


def checked_cosh(x):
    """math.cosh(x), with Python's OverflowError where it is too large."""
    return _range(math.cosh(x), x)


def checked_gamma(x):
    """math.gamma(x), with Python's ValueError at a pole, OverflowError where too large."""
    return _pole(math.gamma(x), x)


def checked_lgamma(x):
    """math.lgamma(x), with Python's ValueError at a pole, OverflowError where too large."""
    return _pole(math.lgamma(x), x)


def checked_pow(x, y):
    """math.pow(x, y), with Python's ValueError (outside its domain, 0.0 to a
    negative power) and OverflowError (too large)."""
    r = math.pow(x, y)
    if r - r == 0.0:
        return r
    if r != r:
        if x == x and y == y:
            raise ValueError("math domain error")
    elif x - x == 0.0 and y - y == 0.0:
        if x == 0.0:
            raise ValueError("math domain error")
        raise OverflowError("math range error")
    return r


def checked_power(a, b):
    """`a ** b` as Python computes it for numbers, or Python's error; for arrays, NumPy's."""
    if isinstance(a, int) and isinstance(b, int):
        return _int_power(a, b)
    if isinstance(a, (float, int)) and isinstance(b, (float, int)):
        if isinstance(b, int) and b < 0 and a == 0:
            raise ZeroDivisionError("0.0 cannot be raised to a negative power")
        r = a ** b
        if r - r == 0.0:
            return r
        return _float_power_edge(r, a, b)
    return a ** b


def checked_add(a, b):
    """`a + b`; for two ints, Python's sum where it fits 64 bits, else an OverflowError.
    (Tested before adding: numba's int arithmetic may assume it does not overflow.)"""
    if isinstance(a, int) and isinstance(b, int):
        if (b > 0 and a > 9223372036854775807 - b) or (b < 0 and a < -9223372036854775808 - b):
            raise BeyondInt64("int + int beyond 64 bits: the numba backend computes ints in 64 bits "
                                "(Python's are unbounded); compute in floats (float(a) + b) or "
                                "use backend='python'")
    return a + b


def checked_sub(a, b):
    """`a - b`; for two ints, Python's difference where it fits 64 bits, else an OverflowError."""
    if isinstance(a, int) and isinstance(b, int):
        if (b < 0 and a > 9223372036854775807 + b) or (b > 0 and a < -9223372036854775808 + b):
            raise BeyondInt64("int - int beyond 64 bits: the numba backend computes ints in 64 bits "
                                "(Python's are unbounded); compute in floats (float(a) - b) or "
                                "use backend='python'")
    return a - b


def checked_mul(a, b):
    """`a * b`; for two ints, Python's product where it fits 64 bits, else an OverflowError."""
    if isinstance(a, int) and isinstance(b, int):
        estimate = float(a) * float(b)
        if not -9.2e18 < estimate < 9.2e18 and _mul_overflows(a, b):  # 2 ** 63 is 9.22e18
            raise BeyondInt64("int * int beyond 64 bits: the numba backend computes ints in 64 bits "
                                "(Python's are unbounded); compute in floats (float(a) * b) or "
                                "use backend='python'")
    return a * b


def checked_lshift(a, b):
    """`a << b`; for two ints, Python's ValueError for a negative count, Python's value
    where it fits 64 bits, else an OverflowError (numba's shift wraps, and takes a count
    of 64 or more modulo 64)."""
    if isinstance(a, int) and isinstance(b, int):
        if b < 0:
            raise ValueError("negative shift count")
        if a != 0 and (b >= 63 or (a > 0 and a > 9223372036854775807 >> b)
                       or (a < 0 and a < -9223372036854775808 >> b)):
            if not (a == -1 and b == 63):  # -2 ** 63 fits
                raise BeyondInt64("int << int beyond 64 bits: the numba backend computes ints in "
                                    "64 bits (Python's are unbounded); compute in floats "
                                    "(a * 2.0 ** b) or use backend='python'")
    return a << b


def checked_rshift(a, b):
    """`a >> b`; for two ints, Python's ValueError for a negative count and Python's value
    for a count of 64 or more (0, or -1 for a negative a), which numba takes modulo 64."""
    if isinstance(a, int) and isinstance(b, int):
        if b < 0:
            raise ValueError("negative shift count")
        if b > 63:
            return -1 if a < 0 else 0
    return a >> b


def _mul_overflows(a, b):
    """Whether the product of two nonzero ints is beyond 64 bits (no int here overflows)."""
    if a > 0 and b > 0:
        return a > 9223372036854775807 // b
    if a < 0 and b < 0:
        if a == -9223372036854775808 or b == -9223372036854775808:
            return True
        return -a > 9223372036854775807 // -b
    p, q = (a, b) if a > 0 else (b, a)  # the product is at least -2 ** 63 iff q >= ceil(-2 ** 63 / p)
    return q < (-9223372036854775808 + p - 1) // p


def checked_power_derivative(x, c):
    """power_derivative(x, c), d(x ** c)/dx, as srcgrad's runtime computes it for numbers:
    an int x in floats (never a wrapped int), a float x with Python's errors but one: a
    slope beyond the floats where the power is not (x ** -1 at 1e-170) is inf, as 1 / x's."""
    if isinstance(x, (float, int)) and isinstance(c, (float, int)):
        if c == 0:
            return 0.0
        if x == 0 and c < 1:
            return math.inf if c > 0 else -math.inf
        if isinstance(x, int):  # the runtime's NumPy path: floats, inf where too large
            return c * float(x) ** (c - 1)
        slope = x ** (c - 1)  # (numba's float power: inf where Python's raises OverflowError)
        if math.isinf(slope) and not math.isinf(x):
            return c * slope
        return c * checked_power(x, c - 1)
    return power_derivative(x, c)


def _float_power_edge(r, a, b):
    """A NaN or infinite `a ** b` of floats: Python's value or error."""
    if r != r:
        if a == a and b == b:  # a negative number to a fractional power
            raise SrcGradError("a negative number to a non-integer power (**) is a complex number "
                               "in Python; srcgrad differentiates real numbers only, so both backends "
                               "refuse it (keep the base non-negative where the power is not an integer)")
        return r
    if a - a == 0.0 and b - b == 0.0:
        if a == 0:
            raise ZeroDivisionError("0.0 cannot be raised to a negative power")
        raise OverflowError(34, "Numerical result out of range")
    return r


def _int_power(a, b):
    """`a ** b` of ints as Python computes it, where it fits numba's 64-bit ints."""
    if b < 0:
        if a == 0:
            raise ZeroDivisionError("0.0 cannot be raised to a negative power")
        raise NotHeld("int ** negative int is a float in Python, which the numba backend's "
                           "int power (a 64-bit int) cannot give: write float(a) ** b (or use "
                           "backend='python')")
    if b == 0:
        return 1
    if b == 1 or a == 0 or a == 1:
        return a
    if a == -1:
        return 1 if b % 2 == 0 else -1
    limit = 9223372036854775807 // abs(a)
    r = 1
    for _ in range(b):
        if abs(r) > limit:
            raise BeyondInt64("int ** int beyond 64 bits: the numba backend's ints have 64 bits "
                                "(Python's are unbounded)")
        r *= a
    return r


def _int_ready(x):
    """x, a number whose conversion to int (int, floor, round) fits numba's 64-bit ints:
    Python's errors for NaN and inf, an OverflowError beyond 64 bits."""
    if isinstance(x, float):
        if not -9.223372036854775808e18 <= x < 9.223372036854775808e18:
            if x != x:
                raise ValueError("cannot convert float NaN to integer")
            if x - x != 0.0:
                raise OverflowError("cannot convert float infinity to integer")
            raise BeyondInt64("int of a float beyond 64 bits: the numba backend's ints have "
                                "64 bits (Python's are unbounded)")
    return x


def checked_int(x):
    """int(x), with Python's errors (NaN, inf) and an OverflowError beyond 64 bits."""
    return int(_int_ready(x))


def checked_floor(x):
    """math.floor(x), with Python's errors (NaN, inf) and an OverflowError beyond 64 bits."""
    return math.floor(_int_ready(x))


def checked_ceil(x):
    """math.ceil(x), with Python's errors (NaN, inf) and an OverflowError beyond 64 bits."""
    return math.ceil(_int_ready(x))


def checked_trunc(x):
    """math.trunc(x), with Python's errors (NaN, inf) and an OverflowError beyond 64 bits."""
    return math.trunc(_int_ready(x))


def checked_round(x):
    """round(x) (one argument: an int), with Python's errors and an OverflowError beyond 64 bits."""
    return round(_int_ready(x))


def checked_index(n):
    """n as a `range` bound: Python's TypeError for a float."""
    if isinstance(n, float):
        if n - n != 1.0:  # always; the return below gives numba the int type range needs
            raise TypeError("'float' object cannot be interpreted as an integer")
        return 0
    return n


def range_length(n):
    """How often `for _ in range(checked_index(n))` runs: 0 for a float, where that loop
    raises before its first run (tapes.py sizes a stack with it before an outer loop,
    which may raise first, or never reach this one)."""
    if isinstance(n, float):
        return 0
    return max(n, 0)


def _int_float_order(i, f):
    """-1, 0 or 1 as the int i is below, equal to or above the float f, compared exactly
    as Python compares them (numba, like C, compares the float of i, which beyond 2 ** 53
    is another number); 2 where f is NaN."""
    if f != f:
        return 2
    if -9007199254740992 <= i <= 9007199254740992:  # within 2 ** 53 the float of i is i
        g = float(i)
        return -1 if g < f else 1 if g > f else 0
    if f >= 9.223372036854775807e18:  # 2 ** 63 or more (inf): above every int numba holds
        return -1
    if f < -9.223372036854775807e18:  # below -2 ** 63
        return 1
    t = int(f)  # exact; f is whole where it is near i (|f| >= 2 ** 52), else far from it
    return -1 if i < t else 1 if i > t else 0


def exact_eq(a, b):
    """a == b, an int and a float compared as Python compares them (FINDINGS18 #4)."""
    if isinstance(a, int) and isinstance(b, float):
        return _int_float_order(a, b) == 0
    elif isinstance(a, float) and isinstance(b, int):
        return _int_float_order(b, a) == 0
    else:
        return a == b


def exact_ne(a, b):
    """a != b, an int and a float compared as Python compares them."""
    if isinstance(a, int) and isinstance(b, float):
        return _int_float_order(a, b) != 0
    elif isinstance(a, float) and isinstance(b, int):
        return _int_float_order(b, a) != 0
    else:
        return a != b


def exact_lt(a, b):
    """a < b, an int and a float compared as Python compares them."""
    if isinstance(a, int) and isinstance(b, float):
        return _int_float_order(a, b) == -1
    elif isinstance(a, float) and isinstance(b, int):
        return _int_float_order(b, a) == 1
    else:
        return a < b


def exact_le(a, b):
    """a <= b, an int and a float compared as Python compares them."""
    if isinstance(a, int) and isinstance(b, float):
        return _int_float_order(a, b) in (-1, 0)
    elif isinstance(a, float) and isinstance(b, int):
        return _int_float_order(b, a) in (0, 1)
    else:
        return a <= b


def exact_gt(a, b):
    """a > b, an int and a float compared as Python compares them."""
    return exact_lt(b, a)


def exact_ge(a, b):
    """a >= b, an int and a float compared as Python compares them."""
    return exact_le(b, a)


# math function -> its checked version (checked.py rewrites the calls)
MATH = {"sqrt": checked_sqrt, "log": checked_log, "log2": checked_log2, "log10": checked_log10,
        "log1p": checked_log1p, "sin": checked_sin, "cos": checked_cos, "tan": checked_tan,
        "asin": checked_asin, "acos": checked_acos, "acosh": checked_acosh, "atanh": checked_atanh,
        "exp": checked_exp, "expm1": checked_expm1, "sinh": checked_sinh, "cosh": checked_cosh,
        "gamma": checked_gamma, "lgamma": checked_lgamma, "pow": checked_pow,
        "floor": checked_floor, "ceil": checked_ceil, "trunc": checked_trunc}
