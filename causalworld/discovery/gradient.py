"""``GradientLearner``: ENCO-style continuous structure learning that scales to many variables.

Edge existence logits ``gamma`` and antisymmetric orientation logits ``theta`` (Lippe et al. 2022,
"Efficient Neural Causal Discovery without Acyclicity Constraints") are learned together with
all ``d`` conditionals ``p(x_j | parents)`` in one batched module on the device; the DAG is read
out from ``sigmoid(gamma) * sigmoid(theta)`` and cycles are broken by edge confidence.
"""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
import numpy as np
import torch
from torch import Tensor
from tqdm.auto import tqdm

from causalworld.discovery.base import Learned, Learner, out_of_time, register_learner
from causalworld.discovery.data import Problem
from causalworld.discovery.scores import BICScore, LocalScore, RFFScore, check_min_explained
from causalworld.discovery.consensus import adjacency_probs, median_graph
from causalworld.discovery.search import hill_climb, order_search, pair_posterior, search_objective
from causalworld.scm.seeding import SEED_MAX
from causalworld.errors import ArgumentError, DeviceError, OutOfRangeError
from causalworld.memory import check_memory

__all__ = ["GradientLearner"]

_LOGIT_CLIP = 10.0  # |gamma|, |theta| bound: probabilities within [4.5e-5, 1 - 4.5e-5]
# The order search with the RFF score ("auto": up to this many variables) searches on a lighter
# copy of the score: ~4x cheaper regressions, the same optima on the 30-variable benchmarks.
_RFF_ORDER_MAX_VARIABLES = 50
_RFF_ORDER_SEARCH = {"n_features": 50, "max_rows": 2000, "lengthscale": 1.0}
# The edge moves' RFF score: 200 features (RFFScore's default 100 underfits nodes with 4-7 parents
# enough that a chance extra parent outscores a true weak one: 30-node ER-2 MLP seed 3, SHD 3 -> 0).
# Both keep the length-scale 1.0 (times sqrt(k)) the benchmarks were measured with, not the
# score's per-parent "auto" default (not yet measured on the 20-100-node designs).
_RFF_REFINE = {"n_features": 200, "lengthscale": 1.0}
# Above this many variables with the RFF score (the order search is off there) the edge moves score
# exactly only a shortlist of each node's possible new parents (hill_climb's shortlist: its
# _RFF_SHORTLIST best by RFFScore.addition_gains, and any it rates above zero): a round of
# exact scores is ~10,000 regressions at 100 variables, minutes on one core.
_RFF_SHORTLIST_MIN_VARIABLES = 50
_RFF_SHORTLIST = 6
# max_steps="auto": the steps of training, and above _RFF_SHORTLIST_MIN_VARIABLES with the RFF
# edge moves fewer, since the moves repair the read-out anyway and each step costs d^2: at 100
# variables (ER-2 MLP seed 0) the read-out's SHD is 37 after 500 steps and 28 after 3,000 (2-5
# minutes more on one core), and the shortlisted moves take the first to SHD 3, the exact score's
# own optimum (the exact moves from the 3,000-step read-out also end at SHD 3).
_MAX_STEPS = 3000
_MAX_STEPS_LARGE = 500
# Elements of one [rows, d, d, hidden] block when scoring every edge toggle: on the CPU a block
# that stays in cache (~1 MB) makes its five elementwise passes ~3x faster at 100 variables (175
# -> 55 ms per 64 rows, near tanh's own cost); on CUDA large blocks keep the device busy.
_TOGGLE_CELLS = {"cpu": 1 << 18, "cuda": 1 << 24}
# Most hidden units per node: each step costs rows * d * d * hidden, so past a few thousand units a
# fit runs for hours at any number of variables.
MAX_HIDDEN = 4096


class _Conditionals(torch.nn.Module):
    """All ``d`` conditionals ``p(x_j | A[:, j] * x)`` as one module (one tensor op for all nodes).

    ``mean_j = w2_j . act(sum_i A_ij x_i W1[i, j] + b1_j) + b2_j`` with a learned noise scale per
    node: a one-hidden-layer MLP per node (``hidden`` units) or, with ``linear=True``, the
    linear-Gaussian case (one unit, identity activation, ``w2 = 1``). Because the first layer is
    linear in the masked input, the mean with any single edge switched on or off is a cheap update
    of the pre-activation (:meth:`toggled_means`), which gives ENCO's per-edge likelihood
    differences exactly paired, for every edge at once.
    """

    def __init__(self, d: int, hidden: int, linear: bool, generator: torch.Generator) -> None:
        super().__init__()
        h = 1 if linear else hidden
        self.linear = linear
        scale = 0.0 if linear else 1.0 / math.sqrt(max(d, 1))
        self.W1 = torch.nn.Parameter(torch.randn(d, d, h, generator=generator) * scale)  # (i, j, h)
        self.b1 = torch.nn.Parameter(torch.zeros(d, h) if linear else torch.randn(d, h, generator=generator) * 0.5)
        if linear:
            self.register_buffer("W2", torch.ones(d, h))
        else:
            self.W2 = torch.nn.Parameter(torch.randn(d, h, generator=generator) / math.sqrt(h))
        self.b2 = torch.nn.Parameter(torch.zeros(d))
        self.log_scale = torch.nn.Parameter(torch.zeros(d))

    def act(self, u: Tensor) -> Tensor:
        return u if self.linear else torch.tanh(u)

    def forward(self, x: Tensor, A: Tensor) -> tuple[Tensor, Tensor]:
        """Pre-activations ``u`` (B, d, h) and means (B, d) for rows ``x`` (B, d) and graphs
        ``A`` (B, d, d), one graph per row."""
        xa = x[:, :, None] * A  # (B, i, j): the inputs each node j sees
        u = torch.einsum("bij,ijh->bjh", xa, self.W1) + self.b1  # (B, j, h)
        mean = (self.act(u) * self.W2).sum(-1) + self.b2  # (B, j)
        return u, mean

    def nll(self, x: Tensor, mean: Tensor) -> Tensor:
        """Gaussian negative log-likelihood per row and node, (B, d)."""
        return 0.5 * ((x - mean) * torch.exp(-self.log_scale)).pow(2) + self.log_scale + 0.5 * math.log(2 * math.pi)

    @torch.no_grad()
    def edge_differences(self, x: Tensor, A: Tensor, u: Tensor, mean: Tensor) -> Tensor:
        """``D[b, i, j] = nll_j(with i -> j) - nll_j(without i -> j)`` for row ``b``, every other
        edge as sampled in ``A[b]``: negative where the edge helps predict ``x_j``. (B, d, d)."""
        B, d = x.shape
        h = u.shape[-1]
        sign = 1.0 - 2.0 * A  # +1: switching the edge on, -1: switching it off
        inv_var = torch.exp(-2.0 * self.log_scale)  # (j,)
        base = (x - mean).pow(2)  # (B, j)
        out = torch.empty(B, d, d, dtype=x.dtype, device=x.device)
        step = max(1, _TOGGLE_CELLS.get(x.device.type, 1 << 24) // max(1, d * d * h))
        for s in range(0, B, step):  # chunks of rows bound the (rows, i, j, h) block
            e = slice(s, s + step)
            delta = (sign[e] * x[e, :, None])[..., None] * self.W1  # (b, i, j, h)
            mt = (self.act(u[e, None] + delta) * self.W2).sum(-1) + self.b2  # (b, i, j)
            diff = 0.5 * ((x[e, None, :] - mt).pow(2) - base[e, None, :]) * inv_var  # nll(toggled) - nll(now)
            out[e] = sign[e] * diff
        return out


def _check_fit_memory(d: int, n: int, h: int, rows: int, device: torch.device) -> None:
    """Refuse a search whose float32 tensors would not fit: the weights with their gradients and
    Adam moments, one step's (rows, d, h) activations and their gradients, one toggled row's
    (d, d, h) block and its intermediates, and the standardised data."""
    params = d * d * h + 2 * d * h + 2 * d
    need = 4 * (4 * params + 6 * rows * d * h + 4 * d * d * h + 3 * n * d)
    check_memory(need, what=f"GradientLearner with {d} variables and hidden={h}", device=device,
                 fix="use a smaller hidden (or conditionals='linear'), or fewer variables")


@register_learner
class GradientLearner(Learner):
    """Continuous structure learning from observational and interventional data (ENCO-style).

    Every ordered pair ``(i, j)`` has an existence logit ``gamma_ij`` and an orientation logit
    ``theta_ij = -theta_ji``; the probability of ``i -> j`` is ``sigmoid(gamma_ij) *
    sigmoid(theta_ij)``. Each step draws a batch of rows and one graph per row from those
    probabilities and then

    1. fits the conditionals ``p(x_j | sampled parents)`` (all ``d`` nodes in one batched
       module: linear-Gaussian, or a one-hidden-layer MLP per node with weights ``[d, d, hidden]``)
       by Gaussian negative log-likelihood on the rows where ``x_j`` was not intervened;
    2. scores every edge by the difference of ``x_j``'s likelihood with and without it, the rest
       of the sampled graph fixed (ENCO's gradient estimator, here exactly paired on the same row
       and the same other parents, computed for all edges at once from the linear first layer);
       ``gamma_ij`` follows the mean difference over rows where ``j`` was not intervened plus a
       sparsity penalty, ``theta_ij`` the mean difference over rows where ``i`` *was* intervened
       (and ``j`` was not): an intervention on ``i`` tells whether ``i`` helps predict ``j``, i.e.
       whether ``i`` comes first.

    The data are standardised internally (each column by its mean and standard deviation on the
    rows where it was not intervened), so the learner cannot exploit variance growing along the
    causal order. Training stops when the read-out graph has not changed for ``patience`` checks,
    after ``max_steps`` or at ``max_time``. The read-out keeps ``i -- j`` when the probability of an
    edge either way exceeds ``threshold``, orients it the more probable way, and breaks any
    remaining cycle by removing its least probable edge. Pairs with no intervention on either end
    keep ``theta = 0``: their orientation comes from ``gamma`` alone and is not identified.

    ``edge_probs_`` describe the graph returned. With a refinement (the default) they are the
    refinement score's probabilities of each pair's three states (no edge, either orientation)
    given the rest of ``graph_`` (:func:`~causalworld.discovery.search.pair_posterior`: the odds
    of the best graph with the edge against the one without, split over the orientations), so
    every edge of ``graph_`` has adjacency probability ``p(a->b) + p(b->a) >= 0.5`` and every
    other pair less; computing them costs one round of edge-move scores, most of them cached by
    the last moves. With ``refine=None`` they are the parameters' ``sigmoid(gamma) *
    sigmoid(theta)``, as after a ``max_time`` stop (no time is left for a round of scores).
    Either way, if ``graph_`` is not what the probabilities say (a read-out with another
    ``threshold`` or a broken cycle, a stop before the refinement ended), the graph returned is
    their median-probability graph
    (:func:`~causalworld.discovery.consensus.median_graph`); ``fit_info_["edge_probs"]`` names
    the source. ``sample_graphs`` draws each pair's state from ``edge_probs_`` and breaks the
    (rare) cycles by removing their least probable edge.

    ``fit_info_`` keeps ``existence`` (``sigmoid(gamma)``) and ``orientation`` (``sigmoid(theta)``,
    with knowledge-fixed pairs at 0 or 1) as ``[d, d]`` arrays, the number of ``steps`` run and the
    final training NLL.

    Background knowledge prunes the parameterisation: a forbidden edge has probability 0 and is
    never sampled, a required edge is always present, and a pair allowed in one direction only
    (tiers, or a forbidden reverse) has its orientation fixed; so ``graph_`` never contradicts it.
    Assumes no hidden confounders and interventions with known targets: perfect ones, or soft
    ones with ``interventions="soft"``.

    Parameters
    ----------
    conditionals
        The conditionals of the search: ``"linear"`` (linear-Gaussian), ``"mlp"`` (one hidden
        layer per node, for nonlinear data) or ``"auto"`` (linear when ``mechanisms`` is
        ``None`` or ``"linear"``, else MLP).
    hidden
        Hidden units of each node's MLP (at most ``MAX_HIDDEN`` = 4096). The weights, their Adam
        state and one step's activations must fit in free memory, else ``fit`` raises
        :class:`~causalworld.errors.MemoryLimitError` before allocating them.
    lambda_sparse
        Sparsity penalty added to every edge's likelihood difference (nats per row).
    max_steps
        Most training steps; ``"auto"``: 3,000, or 500 above 50 variables when the edge moves
        use the RFF score (``refine="auto"`` with MLP conditionals, or ``"rff"``), which repair
        the read-out anyway (at 100 variables the read-out gains little after 500 steps, and each
        step scores ``d^2`` edge toggles).
    min_steps
        Fewest training steps before the early stop may trigger.
    warmup_steps
        Steps that fit the conditionals only, before the graph parameters move.
    batch_size
        Rows per step (each with its own sampled graph) for fitting the conditionals.
    graph_batch_size
        How many of those rows also score every edge toggle for the graph update (the costly
        part: ``rows * d * d * hidden`` work).
    holdout
        Fraction of the rows held out from fitting the conditionals to score edges on (0: edges
        are scored on the training rows).
    lr, lr_gamma, lr_theta
        Adam learning rates of the conditionals, of ``gamma`` and of ``theta``.
    threshold
        Read-out threshold on the parameters' edge probabilities (for the early stop and the
        graph the refinement starts from).
    check_every, patience
        Every ``check_every`` steps the graph is read out; training stops once it has not changed
        for ``patience`` checks in a row (after ``min_steps``).
    device
        ``"cpu"`` or ``"cuda"`` (``None``: CUDA when available).
    refine
        Polish the read-out graph by greedy single-edge moves under a decomposable interventional
        score (:func:`causalworld.discovery.search.hill_climb`, obeying the knowledge): ``"bic"``
        (the linear-Gaussian BIC), ``"rff"`` (:class:`~causalworld.discovery.scores.RFFScore`, a
        nonlinear regression score, here with 200 features; above 50 variables only a shortlist
        of each node's possible new parents, the 6 best by the score's cheap estimate
        :meth:`~causalworld.discovery.scores.RFFScore.addition_gains` and any it rates above
        zero, is scored exactly: hill_climb's ``shortlist``), ``"auto"`` (BIC with linear
        conditionals, RFF with MLP ones) or ``None``. A thresholded read-out misses edges whose effect is weak or shows
        mostly in interactions; a few scored moves recover them. ``edge_probs_`` then come from
        the same score around the refined graph (see above).
    min_explained
        The refinement score's sparsity prior: the least share of a node's remaining variance a
        parent must explain to be kept, whatever the number of rows (see
        :class:`~causalworld.discovery.exact.ExactLearner`; ``0`` turns it off). Without a
        refinement it has no effect.
    refine_orders
        After the edge moves, also search over causal orders
        (:func:`causalworld.discovery.search.order_search`, then edge moves again; from the
        edge-moved graph and, with the BIC up to 50 variables, also from the raw read-out,
        keeping the best :func:`~causalworld.discovery.search.search_objective`): it escapes
        the local optima where a chain of wrong orientations blocks every single reversal, which
        happens around the hubs of scale-free graphs. ``"auto"``: always with the BIC; with the RFF
        score up to 50 variables, from the edge-moved graph only, the search itself on a lighter
        RFF score (50 features, at most 2,000 rows per node; each move costs hundreds of
        regressions) and the edge moves after it on the full one; ``True`` / ``False``: always /
        never.
    interventions
        ``"hard"`` (perfect interventions) or ``"soft"`` (they change the targeted node's
        mechanism and keep its parents, e.g. a shift ``do(x = x + 2)``). The orientation
        estimator above needs perfect interventions: under a soft one on ``i``, ``i`` still
        predicts its parents. So with ``"soft"`` ``theta`` is not trained (the conditionals still
        leave out each node's targeted rows), the read-out's orientations are arbitrary, and the
        refinement orients the edges with a score that uses the soft regimes
        (:class:`~causalworld.discovery.scores.LocalScore` with ``soft=True``); ``refine`` must
        not be ``None`` then.
        Above 50 variables with the RFF score the order search is off (``refine_orders="auto"``),
        so orientations come from single-edge reversals only; set ``refine_orders=True`` there
        (slow), and note that a ``max_time`` hit before the refinement leaves them arbitrary.
    forbidden, required, tiers
        Background knowledge (see :class:`~causalworld.discovery.knowledge.Knowledge`).
    mechanisms
        Mechanisms of ``scm_`` (passed to :meth:`causalworld.SCM.fit`); ``None`` (default): those
        of the search's conditionals, ``"linear"`` or ``"mlp"``. With ``conditionals="auto"`` also
        the kind of conditionals of the search (linear for ``None`` and ``"linear"``).
    max_time
        Seconds; when they run out the graph read out so far is returned (``timed_out_``).
    progress
        Show a progress bar.
    seed
        Seed of the initial parameters, the row batches and the graph samples.

    Examples
    --------
    >>> import causalworld as cw
    >>> truth = cw.SCM.linear([("a", "b"), ("b", "c")], {("a", "b"): 1.5, ("b", "c"): -1.0}, 1.0)
    >>> g = torch.Generator().manual_seed(0)
    >>> parts = [truth.sample(300, seed=1)] + [
    ...     truth.do({v: 2 * torch.randn(100, generator=g)}).sample(100, seed=2 + k) for k, v in enumerate("abc")]
    >>> data = {v: torch.cat([p[v] for p in parts]) for v in "abc"}
    >>> targets = [set()] * 300 + [{v} for v in "abc" for _ in range(100)]
    >>> learner = GradientLearner(progress=False, max_steps=600).fit(data, targets)
    >>> sorted(learner.graph_.edges)
    [('a', 'b'), ('b', 'c')]
    >>> bool(learner.edge_probs_.loc["a", "b"] > 0.9 > learner.edge_probs_.loc["b", "a"])
    True
    """

    def __init__(self, *, conditionals: str = "auto", hidden: int = 32, lambda_sparse: float = 0.004, max_steps: int | str = "auto",
                 min_steps: int = 400, warmup_steps: int = 100, batch_size: int = 256, graph_batch_size: int = 64,
                 holdout: float = 0.0, lr: float = 5e-3,
                 lr_gamma: float = 5e-2, lr_theta: float = 5e-2, threshold: float = 0.5, check_every: int = 50,
                 patience: int = 6, device: str | None = "cpu", refine: str | None = "auto", min_explained: float = 0.01,
                 refine_orders: str | bool = "auto", interventions: str = "hard",
                 forbidden: Any = None, required: Any = None,
                 tiers: Any = None, mechanisms: Any = None, max_time: float | None = None,
                 progress: bool = True, seed: int = 0) -> None:
        self.conditionals = conditionals
        self.min_explained = min_explained
        self.hidden = hidden
        self.lambda_sparse = lambda_sparse
        self.max_steps = max_steps
        self.min_steps = min_steps
        self.warmup_steps = warmup_steps
        self.batch_size = batch_size
        self.graph_batch_size = graph_batch_size
        self.holdout = holdout
        self.lr = lr
        self.lr_gamma = lr_gamma
        self.lr_theta = lr_theta
        self.threshold = threshold
        self.check_every = check_every
        self.patience = patience
        self.device = device
        self.refine = refine
        self.refine_orders = refine_orders
        self.interventions = interventions
        self.forbidden = forbidden
        self.required = required
        self.tiers = tiers
        self.mechanisms = mechanisms
        self.max_time = max_time
        self.progress = progress
        self.seed = seed

    # ------------------------------------------------------------------ settings
    def _linear_conditionals(self) -> bool:
        return self.conditionals == "linear" or (self.conditionals == "auto" and self.mechanisms in (None, "linear"))

    def default_mechanisms(self) -> str:
        """The kind of the search's conditionals: ``"linear"`` or ``"mlp"``.

        Examples
        --------
        >>> GradientLearner(conditionals="linear").default_mechanisms()
        'linear'
        >>> GradientLearner(conditionals="mlp").default_mechanisms()
        'mlp'
        """
        return "linear" if self._linear_conditionals() else "mlp"

    def _check_settings(self) -> torch.device:
        check_min_explained(self.min_explained)  # before training, not at the refinement after it
        for name in ("hidden", "max_steps", "batch_size", "graph_batch_size", "check_every", "patience"):
            v = getattr(self, name)
            if name == "max_steps" and isinstance(v, str) and v == "auto":
                continue
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                kind = "a positive int or 'auto'" if name == "max_steps" else "a positive int"
                raise OutOfRangeError(f"{name} must be {kind}, got {v!r}")
        if self.hidden > MAX_HIDDEN:
            raise OutOfRangeError(
                f"hidden={self.hidden} is more than MAX_HIDDEN = {MAX_HIDDEN} units per node (each step costs "
                "rows * d * d * hidden); 32 to 256 units fit the benchmarks' nonlinear worlds"
            )
        for name in ("min_steps", "warmup_steps"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise OutOfRangeError(f"{name} must be an int >= 0, got {v!r}")
        for name in ("lr", "lr_gamma", "lr_theta"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < math.inf:
                raise OutOfRangeError(f"{name} must be a finite positive number (an Adam step size such as 5e-3), got {v!r}")
        lam = self.lambda_sparse
        if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not 0 <= lam < math.inf:
            raise OutOfRangeError(f"lambda_sparse must be a finite number >= 0, got {lam!r}")
        if isinstance(self.holdout, bool) or not isinstance(self.holdout, (int, float)) or not 0 <= self.holdout < 1:
            raise OutOfRangeError(f"holdout must be in [0, 1), got {self.holdout!r}")
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, (int, float)) or not 0 < self.threshold < 1:
            raise OutOfRangeError(f"threshold must be in (0, 1), got {self.threshold!r}")
        if self.conditionals not in ("auto", "linear", "mlp"):
            raise ArgumentError(f"conditionals must be 'auto', 'linear' or 'mlp', got {self.conditionals!r}")
        if self.refine not in ("auto", "bic", "rff", None):
            raise ArgumentError(f"refine must be 'auto', 'bic', 'rff' or None, got {self.refine!r}")
        if not (self.refine_orders == "auto" or isinstance(self.refine_orders, bool)):
            raise ArgumentError(f"refine_orders must be 'auto', True or False, got {self.refine_orders!r}")
        if self.interventions not in ("hard", "soft"):
            raise ArgumentError(f"interventions must be 'hard' or 'soft', got {self.interventions!r}")
        if self.interventions == "soft" and self.refine is None:
            raise ArgumentError(
                "with interventions='soft' the edges are oriented by the refinement (the gradient estimator "
                "of orientations needs perfect interventions); use refine='auto' (or 'bic' / 'rff')"
            )
        if self.device is None:
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            device = torch.device(self.device)
        except (RuntimeError, TypeError) as exc:
            raise DeviceError(f"device must be 'cpu', 'cuda' or None, got {self.device!r}") from exc
        if device.type == "cuda" and not torch.cuda.is_available():
            raise DeviceError("device='cuda' but CUDA is not available here; use device='cpu' (or None)")
        if device.type not in ("cpu", "cuda"):
            raise DeviceError(f"device must be 'cpu' or 'cuda', got {self.device!r}")
        return device

    # ------------------------------------------------------------------ the search
    def _learn(self, problem: Problem) -> Learned:
        device = self._check_settings()
        # Adam's second moments of tiny graph gradients underflow into subnormal floats, which
        # are ~100x slower on CPUs; flush them to zero for the fit (torch's default is restored).
        torch.set_flush_denormal(True)
        try:
            return self._search(problem, device)
        finally:
            torch.set_flush_denormal(False)

    def _search(self, problem: Problem, device: torch.device) -> Learned:
        if problem.c:
            raise ArgumentError("GradientLearner does not learn lagged edges; use ExactLearner for lags=1")
        d, n = problem.d, problem.n
        gen = torch.Generator().manual_seed(int(self.seed))
        dgen = torch.Generator(device=device).manual_seed((int(self.seed) + 1) & SEED_MAX)  # wraps: seeds go to 2**64 - 1

        # Standardise each column on the rows where it was not intervened (see the class docstring).
        X = problem.X.clone()
        M = problem.mask.clone()  # True where intervened
        free = ~M
        cnt = free.sum(0).clamp_min(1)
        mu = (X * free).sum(0) / cnt
        sd = (((X - mu) * free).pow(2).sum(0) / cnt).sqrt().clamp_min(1e-12)
        X = ((X - mu) / sd).to(device=device, dtype=torch.float32)
        M = M.to(device)
        valid = ~M

        allowed_np, required_np = problem.allowed(), problem.required()
        allowed_np = allowed_np & ~required_np.T  # a required edge excludes its reverse
        allowed = torch.from_numpy(allowed_np).to(device)
        required = torch.from_numpy(required_np).to(device)
        free_edge = allowed & ~required  # edges with a learned existence logit
        both = allowed & allowed.T  # pairs whose orientation is learned
        one_way = allowed & ~allowed.T  # orientation fixed by knowledge
        # Which (i, j) have rows with i intervened and j not: theta_ij is identified from them.
        has_int = ((M.float().T @ valid.float()) > 0)  # (i, j)
        soft = self.interventions == "soft"
        identified = both & (has_int | has_int.T)
        if soft:  # orientations come from the refinement (see the class docstring)
            identified = torch.zeros_like(identified)

        linear = self._linear_conditionals()
        _check_fit_memory(d, n, 1 if linear else int(self.hidden), int(min(self.batch_size, n)), device)
        net = _Conditionals(d, int(self.hidden), linear, gen).to(device)
        gamma = torch.nn.Parameter(torch.zeros(d, d, device=device))
        theta_raw = torch.nn.Parameter(torch.zeros(d, d, device=device))
        opt_net = torch.optim.Adam(net.parameters(), lr=float(self.lr))
        opt_graph = torch.optim.Adam([{"params": [gamma], "lr": float(self.lr_gamma)},
                                      {"params": [theta_raw], "lr": float(self.lr_theta)}], betas=(0.9, 0.9))

        def orientation() -> Tensor:
            theta = theta_raw - theta_raw.T
            o = torch.where(identified, torch.sigmoid(theta), torch.full_like(theta, 0.5))
            return torch.where(one_way, torch.ones_like(o), torch.where(both, o, torch.zeros_like(o)))

        def probs() -> Tensor:
            with torch.no_grad():
                p = torch.sigmoid(gamma) * orientation()
                p = torch.where(free_edge, p, torch.zeros_like(p))
                return torch.where(required, torch.ones_like(p), p)

        # Split the rows: the conditionals train on one part, edges are scored on the other.
        split = torch.rand(n, generator=gen) < float(self.holdout)
        if n >= 10 and 0 < int(split.sum()) < n:
            train, held = (~split).nonzero().squeeze(1).to(device), split.nonzero().squeeze(1).to(device)
        else:
            train = held = torch.arange(n, device=device)
        refine = ("bic" if linear else "rff") if self.refine == "auto" else self.refine
        large = refine == "rff" and d > _RFF_SHORTLIST_MIN_VARIABLES  # the scalable path (see the constants)
        max_steps = (_MAX_STEPS_LARGE if large else _MAX_STEPS) if self.max_steps == "auto" else int(self.max_steps)
        B = int(min(self.batch_size, n))
        Bg = int(min(self.graph_batch_size, B))
        prev: np.ndarray | None = None
        stable, step, timed_out = 0, 0, False
        last_nll = float("nan")
        lam = float(self.lambda_sparse)
        with tqdm(total=max_steps, desc="GradientLearner", disable=not problem.progress, leave=False) as bar:
            for step in range(1, max_steps + 1):
                if out_of_time(problem):
                    timed_out = True
                    break
                idx = train[torch.randint(len(train), (B,), generator=dgen, device=device)]
                x, v = X[idx], valid[idx]  # (B, d)
                P = probs()
                A = (torch.rand(B, d, d, generator=dgen, device=device) < P).float()  # one graph per row
                u, mean = net(x, A)
                nll = net.nll(x, mean)
                loss = (nll * v).sum() / v.sum().clamp_min(1)
                opt_net.zero_grad(set_to_none=True)
                loss.backward()
                if step > int(self.warmup_steps):
                    # Edges are scored on held-out rows, so an input the conditionals merely
                    # overfit does not look useful.
                    gi = held[torch.randint(len(held), (Bg,), generator=dgen, device=device)]
                    xg, vg = X[gi], valid[gi]
                    Ag = (torch.rand(Bg, d, d, generator=dgen, device=device) < P).float()
                    with torch.no_grad():
                        ug, mg = net(xg, Ag)
                    D = net.edge_differences(xg, Ag, ug, mg)  # (Bg, i, j)
                    vf = vg.float()
                    d_all = torch.einsum("bij,bj->ij", D, vf) / vf.sum(0).clamp_min(1)  # rows: j not intervened
                    mi = M[gi].float()
                    c_int = torch.einsum("bi,bj->ij", mi, vf)
                    d_int = torch.einsum("bij,bi,bj->ij", D, mi, vf) / c_int.clamp_min(1)  # rows: i intervened
                    theta = theta_raw - theta_raw.T
                    with torch.no_grad():
                        sg = torch.sigmoid(gamma)
                        o = orientation()
                        # ENCO's gradients without the sigmoid' factors: in logit space an edge
                        # pushed to ~0 early keeps moving when its paired difference turns
                        # negative (every edge's difference is measured, sampled or not); the
                        # logits are clipped instead.
                        g_gamma = o * (d_all + lam) * free_edge
                        g_theta = sg * d_int * (c_int > 0) * identified
                    opt_graph.zero_grad(set_to_none=True)
                    ((g_gamma * gamma).sum() + (g_theta * theta).sum()).backward()
                    opt_graph.step()
                    with torch.no_grad():
                        gamma.clamp_(-_LOGIT_CLIP, _LOGIT_CLIP)
                        theta_raw.clamp_(-_LOGIT_CLIP / 2, _LOGIT_CLIP / 2)
                opt_net.step()
                last_nll = float(loss.detach())
                bar.update(1)
                if step % int(self.check_every) == 0:
                    adj = _read_out(probs().cpu().numpy(), float(self.threshold), required_np)
                    stable = stable + 1 if prev is not None and np.array_equal(adj, prev) else 0
                    prev = adj
                    bar.set_postfix(edges=int(adj.sum()), nll=f"{last_nll:.3f}")
                    if stable >= int(self.patience) and step >= int(self.min_steps) + int(self.warmup_steps):
                        break
        P_np = probs().cpu().numpy().astype(float)
        adjacency = _read_out(P_np, float(self.threshold), required_np)
        refined, ran_orders = 0, False
        shortlist = _RFF_SHORTLIST if large else None
        if refine is not None:
            # Polish the read-out with a score matching the conditionals: a few single-edge moves
            # recover the weak edges a thresholded read-out misses.
            start = adjacency.copy()
            if refine == "bic":
                scorer: LocalScore = BICScore(problem.X, problem.mask, soft=soft, min_explained=self.min_explained)
            else:
                scorer = RFFScore(problem.X, problem.mask, seed=int(self.seed), soft=soft, min_explained=self.min_explained,
                                  **_RFF_REFINE)
            moves = {"allowed": problem.allowed(), "required": required_np, "deadline": problem.deadline}
            memo: dict = {}  # the scorer's local scores, shared by its edge moves and pair_posterior
            adjacency, late = hill_climb(scorer, adjacency, **moves, cache=memo, shortlist=shortlist)
            orders = self.refine_orders is True or (
                self.refine_orders == "auto" and (refine == "bic" or d <= _RFF_ORDER_MAX_VARIABLES))
            if orders and not late:
                # Orders searched from the edge-moved graph and (BIC, up to 50 variables) from the
                # raw read-out too: each stage only raises the score and the two starts reach
                # different optima; then edge moves again; the best-scoring graph is kept.
                def objective(a: np.ndarray) -> float:
                    return search_objective(scorer, a, allowed=moves["allowed"], cache=memo)

                best = (objective(adjacency), adjacency)
                # The raw read-out is far from an optimum: its search costs several times the
                # other's (200 s against 65 s at 100 variables with the BIC), and with the RFF
                # score the edge-moved start alone already costs ~90 s at 30 variables.
                origins = (start, adjacency) if d <= 50 and refine == "bic" else (adjacency,)
                # With the RFF score the order search moves on a lighter copy (fewer features and
                # rows: ~4x cheaper regressions); the edge moves after it use the full score.
                searcher = scorer if refine == "bic" else RFFScore(
                    problem.X, problem.mask, seed=int(self.seed), soft=soft, min_explained=self.min_explained,
                    **_RFF_ORDER_SEARCH)
                for origin in origins:
                    found, late = order_search(searcher, origin, **moves)
                    if not late:
                        found, late = hill_climb(scorer, found, **moves, cache=memo, shortlist=shortlist)
                    best = max(best, (objective(found), found), key=lambda t: t[0])
                    if late:
                        break
                adjacency, ran_orders = best[1], True
            refined = int((start != adjacency).sum())
            timed_out = timed_out or late
        if refine is not None and not timed_out:
            # The parameters' probabilities describe the read-out, not the refined graph: the
            # confidences come from the refinement's score around the graph it returns.
            edge_probs = pair_posterior(scorer, adjacency, allowed=moves["allowed"], required=required_np, cache=memo,
                                        shortlist=shortlist)
            source = "pair_posterior"
        else:  # no refinement, or no time left for a round of scores
            edge_probs, source = P_np, "parameters"
        if not _describes(edge_probs, adjacency):
            # A refinement cut short by max_time (or the read-out of the parameters) need not be
            # what its probabilities say: return the graph they describe.
            adjacency = median_graph(edge_probs, problem.allowed(), required_np)
            source += ", median graph"
        threshold = float(self.threshold)

        def sampler(k: int, rng: np.random.Generator) -> list[np.ndarray]:
            return [_break_cycles(a | required_np, edge_probs, required_np) for a in _draw_pairs(edge_probs, k, rng)]

        info = {"steps": step - 1 if timed_out else step, "final_nll": last_nll, "device": str(device),
                "conditionals": "linear" if linear else f"mlp({int(self.hidden)})", "threshold": threshold,
                "standardised": True, "refine": refine, "refine_orders": ran_orders, "interventions": self.interventions, "refined_edges": refined,
                "existence": torch.sigmoid(gamma).detach().cpu().numpy(),
                "orientation": orientation().detach().cpu().numpy(), "edge_probs": source}
        return Learned(adjacency, edge_probs=np.clip(edge_probs, 0.0, 1.0), sampler=sampler, timed_out=timed_out, info=info)


def _describes(probs: np.ndarray, adjacency: np.ndarray) -> bool:
    """Whether the adjacencies of ``adjacency`` are the pairs of adjacency probability >= 0.5."""
    return bool(np.array_equal(adjacency_probs(np.clip(probs, 0.0, 1.0)) >= 0.5,
                               (adjacency | adjacency.T) & ~np.eye(len(adjacency), dtype=bool)))


def _draw_pairs(P: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` graphs ``[k, d, d]`` (bool) drawing each pair's state once: ``a -> b`` with
    probability ``P[a, b]``, ``b -> a`` with ``P[b, a]``, else no edge."""
    d = P.shape[0]
    upper = np.triu(np.ones((d, d), bool), 1)
    u = np.triu(rng.random((k, d, d)), 1)
    u = u + u.transpose(0, 2, 1)  # one uniform per pair, seen from both ends
    low = np.where(upper, 0.0, P.T)  # b -> a takes the interval [P[a, b], P[a, b] + P[b, a])
    return (u >= low) & (u < low + P) & ~np.eye(d, dtype=bool)


def _read_out(P: np.ndarray, threshold: float, required: np.ndarray) -> np.ndarray:
    """The DAG read out of edge probabilities: ``i -- j`` when ``P_ij + P_ji > threshold``,
    oriented the more probable way, then cycles broken by removing their least probable edge."""
    both = P + P.T
    keep = (both > threshold) & ((P > P.T) | ((P == P.T) & np.triu(np.ones_like(P, dtype=bool), 1)))
    return _break_cycles(keep | required, P, required)


def _break_cycles(adj: np.ndarray, P: np.ndarray, required: np.ndarray) -> np.ndarray:
    """Remove the least probable non-required edge of each directed cycle until none is left."""
    adj = adj.copy()
    np.fill_diagonal(adj, False)
    g = nx.DiGraph()
    g.add_nodes_from(range(adj.shape[0]))
    g.add_edges_from(zip(*np.nonzero(adj)))
    while True:
        try:
            cycle = nx.find_cycle(g)
        except nx.NetworkXNoCycle:
            return adj
        cands = [(u, v) for u, v, *_ in cycle if not required[u, v]]
        u, v = min(cands, key=lambda e: P[e[0], e[1]])
        g.remove_edge(u, v)
        adj[u, v] = False
