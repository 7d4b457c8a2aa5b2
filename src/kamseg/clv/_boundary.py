"""Fitting the transaction models (BG/NBD, MBG/NBD, Pareto/NBD): time rescaling, maxima on
the boundary of the parameter space, and whether the data identify dropout.

**Time rescaling.** The data are fitted with time rescaled so that the longest customer
history (max T) is 1, as lifetimes does; α, β and the rates λ, μ are converted back
afterwards, and the log-likelihood is reported for the original periods. Maximum
likelihood estimates do not depend on the time unit anyway; the L2 penalty acts on the
rescaled parameters, so the same `penalty` gives the same (converted) estimates whether
the table counts days, weeks or months.

**Boundary maxima.** When nobody seems to drop out, the likelihood keeps rising as the
dropout goes to 0 (a -> 0 or b -> ∞ in BG/NBD): there is no interior maximum, and the
optimiser either fails or stops at absurd values. The supremum is then the likelihood of a
limit model (a face of the parameter space, :mod:`kamseg.clv._limits`). The procedure:

1. fit the full model; fit the no-dropout model (NBD, with the Poisson model as its own
   limit) for comparison;
2. an ordinary maximum that beats the no-dropout model by more than `TOL` in
   log-likelihood, with no parameter above `EXTREME` on the rescaled time, and neither
   both a, b (BG/NBD, MBG/NBD) nor β (Pareto/NBD) below 1/`EXTREME`, is the result;
3. otherwise fit every face (with a penalty only "no dropout" and "all-or-nothing
   dropout": the penalty rules out the faces where parameters go to infinity), leave out
   fits that head for a further limit (a parameter beyond `PROPER_RANGE`), and take the
   best; faces within `TOL` of it count as equally good and the one with fewest
   parameters wins;
4. if the full model reached a log-likelihood higher than that face by more than `TOL`, it
   is the result (or, if it failed, its :class:`~kamseg.errors.ConvergenceError`);
5. otherwise the full model is fitted once more from a point just inside the chosen face
   (within `FACE_RANGE`, like the faces, without the slow derivative-free last resort):
   if it climbs to a higher maximum (by more than `TOL`) that is the result; if not, the
   face is, flagged with its `boundary` label and a warning.

With a penalty, "log-likelihood" in steps 3-5 is the penalised one (what the fit
maximises).
"""

from __future__ import annotations

import math

import numpy as np

from kamseg.clv import _limits
from kamseg.clv._base import (
    FitFailure,
    FitResult,
    ModelSpec,
    Prepared,
    maximize,
    prefetch_subsample,
)
from kamseg.clv._collapse import in_halves
from kamseg.clv._limits import Face
from kamseg.errors import ConvergenceError

__all__ = ["EXTREME", "TOL", "boundary_message", "fit_transactions"]

#: Log-likelihood differences below this are ties (LR statistic 0.002).
TOL = 1e-3
#: A parameter above this on the rescaled time (max T = 1) sends the fit to the boundary
#: search: r, α → ∞ (same purchase rate), a, b or s, β → ∞ (same dropout, or none).
EXTREME = 1e4
#: Limit models, and the check near a boundary, are fitted with every parameter in
#: [1/FACE_RANGE, FACE_RANGE] (rescaled time) ...
FACE_RANGE = 1e8
#: ... and a limit model's fit with a parameter beyond [1/PROPER_RANGE, PROPER_RANGE]
#: heads for a further limit (e.g. lambda -> 0: no purchases at all) and is not used.
PROPER_RANGE = 1e6
#: Parameters that put a starting point just inside a face.
_INSIDE_BIG = 1e3
_INSIDE_SMALL = 1e-2


def _scaled(prepared: Prepared) -> tuple[Prepared, float]:
    """The data with t_x and T divided by max T, and that scale factor (1 / max T)."""
    T = prepared["T"]
    scale = 1.0 / float(T.max())
    arrays = {"x": prepared["x"], "t_x": prepared["t_x"] * scale, "T": T * scale}
    # a pending draw of the warm start's subsample depends on the weights only
    extra: dict[str, object] = {
        k: v for k, v in prepared.extra.items() if k.startswith("warm_start_draw_")
    }
    levels = prepared.extra.get("levels")
    if levels is not None:
        # rescaled distinct values, indexed as before: row by row the same numbers
        extra["levels"] = {
            name: (values * scale if name in ("t_x", "T") else values, codes)
            for name, (values, codes) in levels.items()
        }
    return Prepared(arrays, prepared.weights, extra), scale


def _initial(face: Face, data: Prepared) -> np.ndarray:
    """A start for `face` on rescaled data: the mean purchase rate, moderate dropout."""
    w = data.weights
    # plain ufunc sums, not np.dot: on a busy machine BLAS's threads make one dot product
    # of a million rows cost ~10 ms
    rate = float((w * data["x"]).sum()) / max(float((w * data["T"]).sum()), 1e-12)
    rate = rate if math.isfinite(rate) and rate > 0 else 1.0
    purchase = [1.0, 1.0 / rate] if face.purchase == "gamma" else [rate]
    if face.dropout == "mixed":
        dropout = [1.0, 1.0] if face.pareto else [1.0, 3.0]
    elif face.dropout == "point":
        dropout = [1.0] if face.pareto else [0.1]
    elif face.dropout == "split":
        dropout = [0.1]
    else:
        dropout = []
    return np.array(purchase + dropout)


def _inside(face: Face, scaled: np.ndarray) -> np.ndarray:
    """Full-model parameters (rescaled time) just inside `face` at `scaled`."""
    p = dict(zip(face.names, scaled.tolist(), strict=True))
    if face.purchase == "gamma":
        purchase = [p["r"], p["alpha"]]
    else:
        purchase = [_INSIDE_BIG, _INSIDE_BIG / p["lambda"]]
    if face.dropout == "mixed":
        dropout = [p["s"], p["beta"]] if face.pareto else [p["a"], p["b"]]
    elif face.dropout == "point":
        if face.pareto:
            dropout = [_INSIDE_BIG, _INSIDE_BIG / p["mu"]]
        else:
            dropout = [_INSIDE_BIG * p["p"], _INSIDE_BIG * (1.0 - p["p"])]
    elif face.dropout == "split":
        pi = p["pi"]
        if face.pareto:  # (beta / (beta + 1))^s = 1 - pi at T = 1 (the longest history)
            beta = _INSIDE_SMALL**2
            dropout = [-math.log1p(-pi) / math.log1p(1.0 / beta), beta]
        else:
            dropout = [_INSIDE_SMALL * pi, _INSIDE_SMALL * (1.0 - pi)]
    else:
        dropout = [_INSIDE_SMALL, 1.0]
    return np.array(purchase + dropout)


def _meaning(face: Face) -> str:
    parts = []
    if face.dropout == "none":
        ratio = "s/beta" if face.pareto else "a/(a+b)"
        parts.append(
            f"no customer is expected to stop buying ({ratio} -> 0), so the model is the NBD "
            "(gamma-Poisson) purchase model: P(alive) is 1 for everyone and cannot flag "
            "lapsed customers"
        )
    elif face.dropout == "point":
        parts.append(
            "every customer has the same dropout rate mu = s/beta (s, beta -> infinity)"
            if face.pareto
            else "every customer has the same dropout probability p = a/(a+b) after each "
            "purchase (a, b -> infinity)"
        )
    elif face.dropout == "split":
        first = {
            "bgnbd": "right after their first repeat purchase",
            "mbgnbd": "right after their first purchase",
            "pareto_nbd": "at once after their first purchase",
        }[face.model]
        pairs = "s, beta -> 0" if face.pareto else "a, b -> 0"
        parts.append(
            f"a share pi of the customers drops out {first} and the others never ({pairs}): "
            "the live customers are certain to stay"
        )
    if face.purchase == "point":
        parts.append(
            "every customer buys at the same rate lambda = r/alpha while alive "
            "(r, alpha -> infinity)"
        )
    return "; ".join(parts)


def boundary_message(face: Face) -> str:
    """The warning given when a fit returns the limit model `face`."""
    label = face.label
    text = (
        f"clv.fit: the {face.model!r} likelihood is highest on the boundary of its parameter "
        f"space ({label}): {_meaning(face)}. The limit model is returned "
        f"(FitResult.boundary == {label!r}, parameters {', '.join(face.names)}); its "
        "predictions use the limit formulas."
    )
    if face.dropout == "none":
        text += (
            " Hint: judge lapsed customers by their purchase rhythm (e.g. kamseg.lifecycle) "
            "or fit on a longer history; check FitResult.dropout_identified before using "
            "P(alive)."
        )
    return text


def fit_transactions(
    spec: ModelSpec,
    prepared: Prepared,
    *,
    penalty: float,
    initial: np.ndarray | None,
    freq: str | None,
) -> tuple[FitResult, str | None]:
    """Fit a transaction model (see the module docstring): the result, and the warning to
    give when it is a boundary fit (else None).

    Raises
    ------
    ConvergenceError
        When neither an ordinary maximum nor a maximum on the boundary is found.
    """
    with np.errstate(all="ignore"):
        return _fit(spec, prepared, penalty=penalty, initial=initial, freq=freq)


def _poisson_max_loglik(x_total: float, t_total: float) -> float:
    """The Poisson purchase model's highest log-likelihood ``Σ (x ln λ - λ T)`` (the
    transaction models' likelihood with neither heterogeneity nor dropout), reached at
    ``λ = Σx / ΣT``, where it is ``Σx (ln λ - 1)``: from the two totals, no pass over the
    rows."""
    return x_total * (math.log(x_total / t_total) - 1.0)


def _fitted_p_alive(
    face: Face,
    params: np.ndarray,
    data: Prepared,
    *,
    scaled: tuple[np.ndarray, Prepared] | None = None,
) -> np.ndarray:
    """P(alive) of every row of `data` under `face`: for the full BG/NBD and MBG/NBD the
    model's own closed form (one log1p and one logistic per row; the generic limit
    formulas evaluate both likelihood terms with their Γ and B functions), which is the
    same function; for the full Pareto/NBD, when the fit's last pass over the rescaled
    data (`scaled`: its parameters and data) was at the estimates, from that pass
    (P(alive) does not change with the time unit), else the limit formulas."""
    x, t_x, T = data["x"], data["t_x"], data["T"]
    if face.dropout == "mixed" and face.purchase == "gamma" and face.pareto and scaled:
        from kamseg.clv._pareto_nbd import cached_p_alive

        alive = cached_p_alive(*scaled)
        if alive is not None:
            return alive
    if face.dropout == "mixed" and face.purchase == "gamma" and not face.pareto:
        from kamseg.clv._bgnbd import fill_p_alive

        # elementwise: in two halves on two threads, the same numbers
        alive = np.empty(x.size)
        in_halves(
            lambda sl: fill_p_alive(
                params, x[sl], t_x[sl], T[sl], alive[sl], modified=bool(face.shift)
            ),
            x.size,
        )
        return alive
    return _limits.p_alive(face, params, x, t_x, T)


def _fit(
    spec: ModelSpec,
    prepared: Prepared,
    *,
    penalty: float,
    initial: np.ndarray | None,
    freq: str | None,
) -> tuple[FitResult, str | None]:
    model = spec.name
    # the warm start's random subsample (of the weights only) is drawn on the second
    # thread meanwhile
    prefetch_subsample(prepared)
    data, scale = _scaled(prepared)
    # meanwhile, the one pass over the rows that the no-dropout (NBD) fit needs
    _limits.nbd_sums(data)
    x_total = float((data.weights * data["x"]).sum())  # no BLAS threads (np.dot)
    # the likelihood of the rescaled data is k^-x times that of the data, per customer
    offset = x_total * math.log(scale)
    full = Face(model, "gamma", "mixed")

    def units(face: Face) -> np.ndarray:
        return np.asarray(np.power(scale, -np.asarray(face.units, dtype=np.float64)))

    def run(
        face: Face, start: np.ndarray | None = None, *, quick: bool = True
    ) -> FitResult | FitFailure:
        face_spec = spec if face == full else _limits.face_spec(face, lambda d: _initial(face, d))
        try:
            return maximize(
                face_spec,
                data,
                penalty=penalty,
                initial=start,
                freq=freq,
                to_units=units(face),
                ll_offset=offset,
                box=math.log(FACE_RANGE) if quick else None,
            )
        except FitFailure as exc:
            return exc

    start = None if initial is None else np.asarray(initial) / units(full)
    first = run(full, start, quick=False)
    nbd_face = Face(model, "gamma", "none")
    nbd = run(nbd_face)
    # the best fit without dropout: the NBD, or its own limit, the Poisson model, whose
    # maximum likelihood rate is the total of x over the total of T
    no_dropout_ll = nbd.log_likelihood
    if x_total > 0:
        t_total = float((data.weights * data["T"]).sum())
        no_dropout_ll = max(no_dropout_ll, _poisson_max_loglik(x_total, t_total) + offset)

    def finish(result: FitResult, face: Face, message: str | None) -> tuple[FitResult, str | None]:
        alive = _fitted_p_alive(
            face, result.values(), prepared, scaled=(result.values() / units(face), data)
        )
        # weighted means as np.average takes them, in one scratch array
        w = prepared.weights
        w_total = w.sum()
        below = alive < 0.5
        scratch = np.multiply(alive, w)
        share = 1.0 - float(scratch.sum() / w_total)
        lapsed = float(np.multiply(below, w, out=scratch).sum() / w_total)
        lr = 0.0 if face.dropout == "none" else 2.0 * (result.log_likelihood - no_dropout_ll)
        out = FitResult(
            model=result.model,
            params=result.params,
            std_errors=result.std_errors,
            log_likelihood=result.log_likelihood,
            n_obs=result.n_obs,
            converged=result.converged,
            n_iter=result.n_iter,
            message=result.message,
            penalty=result.penalty,
            covariance=result.covariance,
            log_covariance=result.log_covariance,
            freq=result.freq,
            boundary=face.label,
            dropout_share=min(max(share, 0.0), 1.0),
            lapsed_share=lapsed,
            dropout_lr=max(lr, 0.0) if math.isfinite(lr) else math.nan,
        )
        return out, message

    def extreme(result: FitResult | FitFailure, face: Face) -> bool:
        values = result.values() if isinstance(result, FitResult) else result.params
        scaled = np.asarray(values, dtype=np.float64) / units(face)
        # some parameter towards infinity, or towards all-or-nothing dropout: a and b
        # towards 0 (BG/NBD, MBG/NBD), beta towards 0 (Pareto/NBD; s follows only slowly)
        toward_split = scaled[3] if face.pareto else max(scaled[2], scaled[3])
        return bool(np.any(scaled > EXTREME) or toward_split < 1.0 / EXTREME)

    def score(result: FitResult | FitFailure, face: Face) -> float:
        """The penalised log-likelihood (what the fit maximises), -inf if unknown."""
        values = result.values() if isinstance(result, FitResult) else result.params
        scaled = np.asarray(values, dtype=np.float64) / units(face)
        value = result.log_likelihood - data.n_obs * penalty * float(np.sum(scaled**2))
        return value if math.isfinite(value) else -math.inf

    def proper(result: FitResult, face: Face) -> bool:
        """A limit model's own maximum, not one heading for a further limit."""
        scaled = result.values() / units(face)
        return bool(np.all((scaled > 1.0 / PROPER_RANGE) & (scaled < PROPER_RANGE)))

    if (
        isinstance(first, FitResult)
        and first.log_likelihood > no_dropout_ll + TOL
        and not extreme(first, full)
    ):
        return finish(first, full, None)
    first_score = score(first, full)

    # the boundary search
    # a penalty keeps r, alpha, a, b, s, beta finite: only the faces where a or b (s or
    # beta) go to 0 are left
    split = Face(model, "gamma", "split")
    candidates = [nbd_face, split] if penalty > 0 else _limits.faces(model)
    fitted: list[tuple[Face, FitResult]] = []
    for face in candidates:
        result = nbd if face == nbd_face else run(face)
        if isinstance(result, FitResult) and proper(result, face):
            fitted.append((face, result))
    if not fitted:
        if isinstance(first, FitResult):
            return finish(first, full, None)
        raise ConvergenceError(str(first)) from None
    top = max(score(r, f) for f, r in fitted)
    face, best = min(
        ((f, r) for f, r in fitted if score(r, f) >= top - TOL),
        key=lambda fr: (len(fr[0].names), -score(fr[1], fr[0])),
    )
    best_score = score(best, face)
    # a full model that ended at extreme parameters (on its way to a face) is not weighed
    # by its log-likelihood: terms like r * log(alpha) of 1e11 leave it rounding errors
    # larger than TOL (seen: +0.12 over the face's own maximum, on one CPU and not another)
    if best_score < first_score - TOL and not extreme(first, full):
        if isinstance(first, FitResult):
            return finish(first, full, None)
        raise ConvergenceError(str(first)) from None
    # confirm: from just inside the face, does the full model climb to a higher maximum?
    again = run(full, _inside(face, best.values() / units(face)))
    if isinstance(again, FitResult) and score(again, full) > best_score + TOL:
        return finish(again, full, None)
    return finish(best, face, boundary_message(face))
