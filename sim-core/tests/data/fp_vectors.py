#!/usr/bin/env python3
"""Reference vectors for the simulator's floating-point unit, computed independently of it.

Every result is computed with exact rational arithmetic (fractions.Fraction) and rounded by
enumerating the two neighbouring points of the target format's grid, then choosing by the
rounding mode -- a different method from the simulator's bit-level FPRound. The ARM-specific
rules (NaN selection and quieting, default NaN, flush-to-zero of inputs and outputs, tininess
before rounding, alternative half precision, saturation of conversions) follow the ARMv7-M
ARM's A2.5 pseudo-code as read by the author.

Run offline: `python3 fp_vectors.py > fp_vectors.txt`. The Rust tests read the text file;
they never run Python. Deterministic (fixed seed).

Line format (hex without 0x, fields separated by spaces):
    <op> <fpscr> <operand>... -> <result> <flags>
`flags` are the FPSCR cumulative flags raised (IDC 0x80, IXC 0x10, UFC 0x08, OFC 0x04,
DZC 0x02, IOC 0x01); for compares `result` is FPSCR[31:28] << 28.
"""

import math
import random
import struct
import sys
from fractions import Fraction as Q

IOC, DZC, OFC, UFC, IXC, IDC = 0x01, 0x02, 0x04, 0x08, 0x10, 0x80
FZ, DN, AHP = 1 << 24, 1 << 25, 1 << 26
RN, RP, RM, RZ, RA = "RN", "RP", "RM", "RZ", "RA"
RMODES = [RN, RP, RM, RZ]


class Fmt:
    def __init__(self, n, e, f):
        self.n, self.e, self.f = n, e, f
        self.bias = (1 << (e - 1)) - 1
        self.emin = 1 - self.bias
        self.emax = self.bias

    def sign_bit(self):
        return 1 << (self.n - 1)

    def inf(self, neg):
        return (self.sign_bit() if neg else 0) | (((1 << self.e) - 1) << self.f)

    def zero(self, neg):
        return self.sign_bit() if neg else 0

    def max_finite(self, neg):
        return (self.sign_bit() if neg else 0) | (((1 << self.e) - 2) << self.f) | ((1 << self.f) - 1)

    def default_nan(self):
        return (((1 << self.e) - 1) << self.f) | (1 << (self.f - 1))


H, S, D = Fmt(16, 5, 10), Fmt(32, 8, 23), Fmt(64, 11, 52)


def mode_of(fpscr):
    return RMODES[(fpscr >> 22) & 3]


def floor_log2(x):
    """The integer e with 2^e <= x < 2^(e+1), for a positive Fraction x."""
    n, d = x.numerator, x.denominator
    e = n.bit_length() - d.bit_length()
    # 2^e <= n/d  <=>  n * 2^-e >= d
    def ge(e):
        return (n << -e) >= d if e <= 0 else n >= (d << e)
    while not ge(e):
        e -= 1
    while ge(e + 1):
        e += 1
    return e


def pow2(e):
    return Q(2) ** e


# Decoded operand: (kind, negative, value) with kind in zero/num/inf/qnan/snan.
def unpack(fmt, bits, fpscr, flags):
    neg = bool(bits >> (fmt.n - 1) & 1)
    exp = (bits >> fmt.f) & ((1 << fmt.e) - 1)
    frac = bits & ((1 << fmt.f) - 1)
    if exp == 0:
        if frac == 0:
            return ("zero", neg, Q(0))
        if fmt.n != 16 and fpscr & FZ:
            flags[0] |= IDC
            return ("zero", neg, Q(0))
        v = frac * pow2(fmt.emin - fmt.f)
        return ("num", neg, -v if neg else v)
    if exp == (1 << fmt.e) - 1 and not (fmt.n == 16 and fpscr & AHP):
        if frac == 0:
            return ("inf", neg, None)
        return ("qnan" if frac >> (fmt.f - 1) & 1 else "snan", neg, None)
    v = ((1 << fmt.f) + frac) * pow2(exp - fmt.bias - fmt.f)
    return ("num", neg, -v if neg else v)


def encode(fmt, neg, mag):
    s = fmt.sign_bit() if neg else 0
    if mag == 0:
        return s
    e = floor_log2(mag)
    if e < fmt.emin:
        frac = mag / pow2(fmt.emin - fmt.f)
        assert frac.denominator == 1
        return s | int(frac)
    m = mag / pow2(e - fmt.f)
    assert m.denominator == 1
    return s | ((e + fmt.bias) << fmt.f) | (int(m) - (1 << fmt.f))


def round_to(fmt, x, mode, fpscr, flags):
    """Rounds the non-zero rational x to fmt by choosing between its grid neighbours."""
    assert x != 0
    neg = x < 0
    a = -x if neg else x
    e = floor_log2(a)
    if fpscr & FZ and fmt.n != 16 and e < fmt.emin:
        flags[0] |= UFC
        return fmt.zero(neg)
    quantum = pow2(max(e, fmt.emin) - fmt.f)
    k = math.floor(a / quantum)
    lo = k * quantum
    exact = lo == a
    if not exact:
        if e < fmt.emin:
            flags[0] |= UFC
        rest = a - lo
        half = quantum / 2
        if mode == RN:
            up = rest > half or (rest == half and k % 2 == 1)
        elif mode == RA:
            up = rest >= half
        elif mode == RP:
            up = not neg
        elif mode == RM:
            up = neg
        else:
            up = False
        if up:
            k += 1
    mag = k * quantum
    if fmt.n == 16 and fpscr & AHP:
        if mag >= pow2(17):
            flags[0] |= IOC
            return (fmt.sign_bit() if neg else 0) | 0x7FFF
    elif mag >= pow2(fmt.emax + 1):
        flags[0] |= OFC | IXC
        to_inf = mode in (RN, RA) or (mode == RP and not neg) or (mode == RM and neg)
        return fmt.inf(neg) if to_inf else fmt.max_finite(neg)
    if not exact:
        flags[0] |= IXC
    return encode(fmt, neg, mag)


def process_nan(fmt, kind, bits, fpscr, flags):
    r = bits
    if kind == "snan":
        r |= 1 << (fmt.f - 1)
        flags[0] |= IOC
    if fpscr & DN:
        r = fmt.default_nan()
    return r


def nans(fmt, ops, fpscr, flags):
    """ops: list of (unpacked, bits). SNaNs first in operand order, then QNaNs."""
    for kind in ("snan", "qnan"):
        for u, bits in ops:
            if u[0] == kind:
                return process_nan(fmt, kind, bits, fpscr, flags)
    return None


def zero_result(fmt, fpscr):
    return fmt.zero(mode_of(fpscr) == RM)


def op_add(fmt, a, b, fpscr, flags, negate_b=False):
    ua, ub = unpack(fmt, a, fpscr, flags), unpack(fmt, b, fpscr, flags)
    r = nans(fmt, [(ua, a), (ub, b)], fpscr, flags)
    if r is not None:
        return r
    sa = ua[1]
    sb = ub[1] ^ negate_b
    if ua[0] == "inf" and ub[0] == "inf" and sa != sb:
        flags[0] |= IOC
        return fmt.default_nan()
    if ua[0] == "inf":
        return fmt.inf(sa)
    if ub[0] == "inf":
        return fmt.inf(sb)
    if ua[0] == "zero" and ub[0] == "zero" and sa == sb:
        return fmt.zero(sa)
    vb = -ub[2] if negate_b else ub[2]
    total = ua[2] + vb
    if total == 0:
        return zero_result(fmt, fpscr)
    return round_to(fmt, total, mode_of(fpscr), fpscr, flags)


def op_sub(fmt, a, b, fpscr, flags):
    return op_add(fmt, a, b, fpscr, flags, negate_b=True)


def op_mul(fmt, a, b, fpscr, flags):
    ua, ub = unpack(fmt, a, fpscr, flags), unpack(fmt, b, fpscr, flags)
    r = nans(fmt, [(ua, a), (ub, b)], fpscr, flags)
    if r is not None:
        return r
    neg = ua[1] != ub[1]
    kinds = {ua[0], ub[0]}
    if kinds == {"inf", "zero"}:
        flags[0] |= IOC
        return fmt.default_nan()
    if "inf" in kinds:
        return fmt.inf(neg)
    if "zero" in kinds:
        return fmt.zero(neg)
    return round_to(fmt, ua[2] * ub[2], mode_of(fpscr), fpscr, flags)


def op_div(fmt, a, b, fpscr, flags):
    ua, ub = unpack(fmt, a, fpscr, flags), unpack(fmt, b, fpscr, flags)
    r = nans(fmt, [(ua, a), (ub, b)], fpscr, flags)
    if r is not None:
        return r
    neg = ua[1] != ub[1]
    if ua[0] == ub[0] and ua[0] in ("inf", "zero"):
        flags[0] |= IOC
        return fmt.default_nan()
    if ua[0] == "inf":
        return fmt.inf(neg)
    if ub[0] == "zero":
        flags[0] |= DZC
        return fmt.inf(neg)
    if ua[0] == "zero" or ub[0] == "inf":
        return fmt.zero(neg)
    return round_to(fmt, ua[2] / ub[2], mode_of(fpscr), fpscr, flags)


def op_sqrt(fmt, a, fpscr, flags):
    ua = unpack(fmt, a, fpscr, flags)
    if ua[0] in ("qnan", "snan"):
        return process_nan(fmt, ua[0], a, fpscr, flags)
    if ua[0] == "zero":
        return fmt.zero(ua[1])
    if ua[1]:
        flags[0] |= IOC
        return fmt.default_nan()
    if ua[0] == "inf":
        return fmt.inf(False)
    x = ua[2]
    # Round sqrt(x) on the grid without ever forming it: compare squares.
    e = floor_log2(x) // 2  # 2^e <= sqrt(x) < 2^(e+1) (floor of half the exponent)
    while pow2(2 * e) > x:
        e -= 1
    while pow2(2 * (e + 1)) <= x:
        e += 1
    quantum = pow2(max(e, fmt.emin) - fmt.f)
    t = x / (quantum * quantum)
    k = math.isqrt(math.floor(t))
    lo = k * quantum
    exact = lo * lo == x
    flags_local = 0
    if not exact:
        if e < fmt.emin:
            flags_local |= UFC
        mid = lo + quantum / 2
        mode = mode_of(fpscr)
        if mode == RN:
            up = x > mid * mid or (x == mid * mid and k % 2 == 1)
        elif mode == RP:
            up = True
        else:
            up = False
        if up:
            k += 1
        flags_local |= IXC
    assert not (fpscr & FZ and e < fmt.emin)  # sqrt of a normal is never tiny
    flags[0] |= flags_local
    return encode(fmt, False, k * quantum)


def op_fma(fmt, addend, a, b, fpscr, flags):
    """FPMulAdd(addend, a, b): addend + a*b rounded once."""
    uc = unpack(fmt, addend, fpscr, flags)
    ua, ub = unpack(fmt, a, fpscr, flags), unpack(fmt, b, fpscr, flags)
    r = nans(fmt, [(uc, addend), (ua, a), (ub, b)], fpscr, flags)
    inf_times_zero = {ua[0], ub[0]} == {"inf", "zero"}
    if uc[0] == "qnan" and inf_times_zero:
        flags[0] |= IOC
        return fmt.default_nan()
    if r is not None:
        return r
    neg_p = ua[1] != ub[1]
    inf_p = "inf" in (ua[0], ub[0])
    zero_p = "zero" in (ua[0], ub[0])
    if inf_times_zero or (uc[0] == "inf" and inf_p and uc[1] != neg_p):
        flags[0] |= IOC
        return fmt.default_nan()
    if uc[0] == "inf":
        return fmt.inf(uc[1])
    if inf_p:
        return fmt.inf(neg_p)
    if uc[0] == "zero" and zero_p and uc[1] == neg_p:
        return fmt.zero(uc[1])
    product = Q(0) if zero_p else ua[2] * ub[2]
    total = uc[2] + product
    if total == 0:
        return zero_result(fmt, fpscr)
    return round_to(fmt, total, mode_of(fpscr), fpscr, flags)


def neg(fmt, bits):
    return bits ^ fmt.sign_bit()


def op_vmla(fmt, d, n, m, fpscr, flags):
    return op_add(fmt, d, op_mul(fmt, n, m, fpscr, flags), fpscr, flags)


def op_vnmls(fmt, d, n, m, fpscr, flags):
    return op_add(fmt, neg(fmt, d), op_mul(fmt, n, m, fpscr, flags), fpscr, flags)


def op_vfnma(fmt, d, n, m, fpscr, flags):
    return op_fma(fmt, neg(fmt, d), neg(fmt, n), m, fpscr, flags)


def op_cmp(fmt, a, b, fpscr, flags, signal_quiet):
    ua, ub = unpack(fmt, a, fpscr, flags), unpack(fmt, b, fpscr, flags)
    if ua[0] in ("qnan", "snan") or ub[0] in ("qnan", "snan"):
        if "snan" in (ua[0], ub[0]) or signal_quiet:
            flags[0] |= IOC
        return 0x3 << 28

    def val(u):
        if u[0] == "inf":
            return math.inf if not u[1] else -math.inf
        return u[2]

    va, vb = val(ua), val(ub)
    if va == vb:
        return 0x6 << 28
    return (0x8 << 28) if va < vb else (0x2 << 28)


def op_to_int(fmt, a, fpscr, flags, size, fbits, unsigned, mode):
    ua = unpack(fmt, a, fpscr, flags)
    lo = 0 if unsigned else -(1 << (size - 1))
    hi = (1 << size) - 1 if unsigned else (1 << (size - 1)) - 1
    if ua[0] in ("qnan", "snan"):
        flags[0] |= IOC
        return 0
    if ua[0] == "inf":
        flags[0] |= IOC
        return (lo if ua[1] else hi) & 0xFFFF_FFFF_FFFF_FFFF
    v = ua[2] * pow2(fbits)
    i = math.floor(v)
    err = v - i
    if mode == RN:
        up = err > Q(1, 2) or (err == Q(1, 2) and i % 2 == 1)
    elif mode == RA:
        up = err > Q(1, 2) or (err == Q(1, 2) and i >= 0)
    elif mode == RP:
        up = err != 0
    elif mode == RM:
        up = False
    else:
        up = err != 0 and i < 0
    if up:
        i += 1
    if i < lo or i > hi:
        flags[0] |= IOC
        i = max(lo, min(hi, i))
    elif err != 0:
        flags[0] |= IXC
    return i & 0xFFFF_FFFF_FFFF_FFFF


def op_from_int(fmt, x, fpscr, flags, size, fbits, unsigned, mode):
    x &= (1 << size) - 1
    if not unsigned and x >> (size - 1):
        x -= 1 << size
    if x == 0:
        return 0
    return round_to(fmt, Q(x) / pow2(fbits), mode, fpscr, flags)


def op_round_int(fmt, a, fpscr, flags, mode, exact):
    ua = unpack(fmt, a, fpscr, flags)
    if ua[0] in ("qnan", "snan"):
        return process_nan(fmt, ua[0], a, fpscr, flags)
    if ua[0] == "inf":
        return fmt.inf(ua[1])
    if ua[0] == "zero":
        return fmt.zero(ua[1])
    v = ua[2]
    i = math.floor(v)
    err = v - i
    if mode == RN:
        up = err > Q(1, 2) or (err == Q(1, 2) and i % 2 == 1)
    elif mode == RA:
        up = err > Q(1, 2) or (err == Q(1, 2) and i >= 0)
    elif mode == RP:
        up = err != 0
    elif mode == RM:
        up = False
    else:
        up = err != 0 and i < 0
    if up:
        i += 1
    if exact and err != 0:
        flags[0] |= IXC
    if i == 0:
        return fmt.zero(ua[1])
    return round_to(fmt, Q(i), mode_of(fpscr), fpscr, flags)


def op_convert(src, dst, a, fpscr, flags):
    ua = unpack(src, a, fpscr, flags)
    ahp = dst.n == 16 and fpscr & AHP
    if ua[0] in ("qnan", "snan"):
        if ahp:
            flags[0] |= IOC
            r = 0
        elif fpscr & DN:
            r = dst.default_nan()
        else:
            payload = a & ((1 << (src.f - 1)) - 1)  # fraction below the quiet bit
            if dst.f >= src.f:
                payload <<= dst.f - src.f
            else:
                payload >>= src.f - dst.f
            r = (dst.sign_bit() if ua[1] else 0) | (((1 << dst.e) - 1) << dst.f) | (1 << (dst.f - 1)) | payload
        if ua[0] == "snan":
            flags[0] |= IOC
        return r
    if ua[0] == "inf":
        if ahp:
            flags[0] |= IOC
            return (dst.sign_bit() if ua[1] else 0) | 0x7FFF
        return dst.inf(ua[1])
    if ua[0] == "zero":
        return dst.zero(ua[1])
    return round_to(dst, ua[2], mode_of(fpscr), fpscr, flags)


def op_maxmin(fmt, a, b, fpscr, flags, maximum):
    ta = unpack(fmt, a, fpscr, flags)[0]
    tb = unpack(fmt, b, fpscr, flags)[0]
    if ta == "qnan" and tb != "qnan":
        a = fmt.inf(maximum)
    elif ta != "qnan" and tb == "qnan":
        b = fmt.inf(maximum)
    ua, ub = unpack(fmt, a, fpscr, flags), unpack(fmt, b, fpscr, flags)
    r = nans(fmt, [(ua, a), (ub, b)], fpscr, flags)
    if r is not None:
        return r

    def val(u):
        if u[0] == "inf":
            return math.inf if not u[1] else -math.inf
        return u[2]

    va, vb = val(ua), val(ub)
    pick_a = va > vb if maximum else va < vb
    u, bits = (ua, a) if pick_a else (ub, b)
    if u[0] == "zero":
        sign = (ua[1] and ub[1]) if maximum else (ua[1] or ub[1])
        return fmt.zero(sign)
    if u[0] == "inf":
        return fmt.inf(u[1])
    return round_to(fmt, u[2], mode_of(fpscr), fpscr, flags)


# ---------------------------------------------------------------------------------------
# Operand generation.

rng = random.Random(20240611)


def specials(fmt):
    f, e = fmt.f, fmt.e
    ones = (1 << e) - 1
    vals = [
        0, fmt.sign_bit(),                                   # +-0
        1, fmt.sign_bit() | 1,                               # smallest denormals
        (1 << f) - 1, fmt.sign_bit() | ((1 << f) - 1),       # largest denormals
        1 << f, fmt.sign_bit() | (1 << f),                   # smallest normals
        fmt.max_finite(False), fmt.max_finite(True),
        fmt.inf(False), fmt.inf(True),
        fmt.default_nan(), fmt.default_nan() | fmt.sign_bit(),
        (ones << f) | (1 << (f - 1)) | 0x15,                 # QNaN with payload
        (ones << f) | 0x2A, fmt.sign_bit() | (ones << f) | 1,  # SNaNs with payloads
        fmt.bias << f, fmt.sign_bit() | (fmt.bias << f),     # +-1.0
        ((fmt.bias + 1) << f) | (1 << (f - 1)),              # 3.0
        ((fmt.bias - 1) << f),                               # 0.5
    ]
    return vals


def random_normal(fmt, lo_exp=None, hi_exp=None):
    lo_exp = 1 if lo_exp is None else lo_exp
    hi_exp = (1 << fmt.e) - 2 if hi_exp is None else hi_exp
    exp = rng.randint(lo_exp, hi_exp)
    return (rng.getrandbits(1) << (fmt.n - 1)) | (exp << fmt.f) | rng.getrandbits(fmt.f)


def random_operand(fmt):
    r = rng.random()
    if r < 0.15:
        return rng.choice(specials(fmt))
    if r < 0.25:
        return (rng.getrandbits(1) << (fmt.n - 1)) | rng.getrandbits(fmt.f)  # denormal
    if r < 0.65:
        return random_normal(fmt, fmt.bias - 4, fmt.bias + 4)  # near 1
    return random_normal(fmt)


def near_min_normal(fmt):
    """Operands whose product or sum lands around the denormal boundary."""
    return random_normal(fmt, 1, 3)


FPSCRS = [0, 1 << 22, 2 << 22, 3 << 22, FZ, DN, FZ | DN | (3 << 22), FZ | (1 << 22), DN | (2 << 22)]


def hx(v):
    return format(v, "x")


def emit(name, fpscr, operands, result, flags):
    print(f"{name} {hx(fpscr)} {' '.join(hx(o) for o in operands)} -> {hx(result)} {hx(flags)}")


def gen_binary(name, fmt, fn, count):
    for _ in range(count):
        a, b = random_operand(fmt), random_operand(fmt)
        if rng.random() < 0.15:
            a, b = near_min_normal(fmt), random_normal(fmt, fmt.bias - 2, fmt.bias - 1)
        for fpscr in rng.sample(FPSCRS, 2):
            flags = [0]
            r = fn(fmt, a, b, fpscr, flags)
            emit(name, fpscr, [a, b], r, flags[0])


def gen_ternary(name, fmt, fn, count):
    for _ in range(count):
        a, b, c = random_operand(fmt), random_operand(fmt), random_operand(fmt)
        if rng.random() < 0.3:
            # Near-cancellation: c ~ -(a*b), where fused and unfused results differ.
            a = random_normal(fmt, fmt.bias - 3, fmt.bias + 3)
            b = random_normal(fmt, fmt.bias - 3, fmt.bias + 3)
            flags = [0]
            p = op_mul(fmt, a, b, 0, flags)
            c = neg(fmt, p) ^ rng.choice([0, 1, 2])
        for fpscr in rng.sample(FPSCRS, 2):
            flags = [0]
            r = fn(fmt, c, a, b, fpscr, flags)
            emit(name, fpscr, [c, a, b], r, flags[0])


def gen_unary(name, fmt, fn, count):
    for _ in range(count):
        a = random_operand(fmt)
        for fpscr in rng.sample(FPSCRS, 2):
            flags = [0]
            r = fn(fmt, a, fpscr, flags)
            emit(name, fpscr, [a], r, flags[0])


def main():
    for fmt, tag in ((S, "f32"), (D, "f64")):
        gen_binary(f"add.{tag}", fmt, op_add, 160)
        gen_binary(f"sub.{tag}", fmt, op_sub, 80)
        gen_binary(f"mul.{tag}", fmt, op_mul, 160)
        gen_binary(f"div.{tag}", fmt, op_div, 140)
        gen_unary(f"sqrt.{tag}", fmt, op_sqrt, 100)
        gen_ternary(f"fma.{tag}", fmt, op_fma, 160)
        gen_ternary(f"vmla.{tag}", fmt, op_vmla, 70)
        gen_ternary(f"vnmls.{tag}", fmt, op_vnmls, 60)
        gen_ternary(f"vfnma.{tag}", fmt, op_vfnma, 60)
        gen_binary(f"cmp.{tag}", fmt, lambda f, a, b, s, fl: op_cmp(f, a, b, s, fl, False), 70)
        gen_binary(f"cmpe.{tag}", fmt, lambda f, a, b, s, fl: op_cmp(f, a, b, s, fl, True), 80)
        gen_binary(f"maxnm.{tag}", fmt, lambda f, a, b, s, fl: op_maxmin(f, a, b, s, fl, True), 120)
        gen_binary(f"minnm.{tag}", fmt, lambda f, a, b, s, fl: op_maxmin(f, a, b, s, fl, False), 120)

        def int_operand():
            r = rng.random()
            if r < 0.3:
                return random_operand(fmt)
            if r < 0.6:
                return random_normal(fmt, fmt.bias, fmt.bias + 33)  # around the 32-bit range
            # Exact halves and quarters around small integers.
            v = Q(rng.randint(-12, 12), rng.choice([1, 2, 4]))
            return encode(fmt, v < 0, abs(v)) if v != 0 else 0

        for _ in range(70):
            a = int_operand()
            for fpscr in rng.sample(FPSCRS, 2):
                for unsigned in (False, True):
                    for mode_name, mode in (("z", RZ), ("r", None)):
                        flags = [0]
                        m = mode or mode_of(fpscr)
                        r = op_to_int(fmt, a, fpscr, flags, 32, 0, unsigned, m) & 0xFFFF_FFFF
                        emit(f"toint{mode_name}.{'u' if unsigned else 's'}.{tag}", fpscr, [a], r, flags[0])
                for mode_name, mode in (("a", RA), ("n", RN), ("p", RP), ("m", RM)):
                    flags = [0]
                    unsigned = rng.random() < 0.5
                    r = op_to_int(fmt, a, fpscr, flags, 32, 0, unsigned, mode) & 0xFFFF_FFFF
                    emit(f"cvt{mode_name}.{'u' if unsigned else 's'}.{tag}", fpscr, [a], r, flags[0])
                for mode_name, mode in (("a", RA), ("n", RN), ("p", RP), ("m", RM), ("z", RZ), ("r", None), ("x", None)):
                    flags = [0]
                    m = mode or mode_of(fpscr)
                    r = op_round_int(fmt, a, fpscr, flags, m, mode_name == "x")
                    emit(f"rint{mode_name}.{tag}", fpscr, [a], r, flags[0])
        for _ in range(80):
            x = rng.choice([0, 1, 0xFFFF_FFFF, 0x8000_0000, 0x7FFF_FFFF, rng.getrandbits(32),
                            rng.getrandbits(32), rng.getrandbits(rng.randint(1, 32)),
                            (rng.getrandbits(8) << 24) | 1, (rng.getrandbits(25) << 7) | 0x40])
            for fpscr in rng.sample(FPSCRS, 2):
                for unsigned in (False, True):
                    flags = [0]
                    r = op_from_int(fmt, x, fpscr, flags, 32, 0, unsigned, mode_of(fpscr))
                    emit(f"fromint.{'u' if unsigned else 's'}.{tag}", fpscr, [x], r, flags[0])
        # Fixed point: 16 or 32 bits, fbits 0..size (to fixed rounds toward zero, from fixed to
        # nearest).
        for _ in range(200):
            size = rng.choice([16, 32])
            fbits = rng.randint(1 if size == 32 else 0, size)
            unsigned = rng.random() < 0.5
            fpscr = rng.choice(FPSCRS)
            a = int_operand() if rng.random() < 0.5 else random_normal(fmt, fmt.bias - 20, fmt.bias + 20)
            flags = [0]
            r = op_to_int(fmt, a, fpscr, flags, size, fbits, unsigned, RZ)
            r &= (1 << fmt.n) - 1
            emit(f"tofixed.{'u' if unsigned else 's'}{size}.{fbits}.{tag}", fpscr, [a], r, flags[0])
            x = rng.getrandbits(size) | (rng.getrandbits(fmt.n - size) << size if rng.random() < 0.3 else 0)
            flags = [0]
            r = op_from_int(fmt, x & 0xFFFF_FFFF, fpscr, flags, size, fbits, unsigned, RN)
            emit(f"fromfixed.{'u' if unsigned else 's'}{size}.{fbits}.{tag}", fpscr, [x], r, flags[0])

    # Conversions between formats.
    def convs(name, src, dst, count, ahp_choices):
        for _ in range(count):
            a = random_operand(src)
            if rng.random() < 0.3 and src.n > dst.n:
                # Around the destination's overflow and denormal boundaries.
                e = rng.choice([dst.emax, dst.emax + 1, dst.emin - 1, dst.emin - dst.f, dst.emin])
                a = (rng.getrandbits(1) << (src.n - 1)) | ((e + src.bias) << src.f) | rng.getrandbits(src.f)
            for fpscr in rng.sample(FPSCRS, 2):
                fpscr |= rng.choice(ahp_choices)
                flags = [0]
                r = op_convert(src, dst, a, fpscr, flags)
                emit(name, fpscr, [a], r, flags[0])

    convs("cvt.f64.f32", S, D, 150, [0])
    convs("cvt.f32.f64", D, S, 250, [0])
    convs("cvt.f32.f16", H, S, 150, [0, AHP])
    convs("cvt.f16.f32", S, H, 250, [0, AHP])
    convs("cvt.f64.f16", H, D, 100, [0, AHP])
    convs("cvt.f16.f64", D, H, 200, [0, AHP])


if __name__ == "__main__":
    main()
