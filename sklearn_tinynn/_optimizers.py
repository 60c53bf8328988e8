"""Optimizers: plain gradient descent, SGD with (Nesterov) momentum, and Adam.

All share one interface: ``update_params(params, grads)`` updates the flat
parameter list ``[W1, b1, W2, b2]`` in place. Each optimizer keeps everything
it must remember between steps in ``self.state``, a plain dict of numbers and
arrays, so that an estimator can store it and continue later (``warm_start``)
without pickling an optimizer object.

``xp`` is the array namespace of the parameters (NumPy when None). With NumPy
each update is evaluated into work arrays that the optimizer keeps between
steps, so that no step allocates; any other namespace (torch, CuPy,
array-api-strict) evaluates the same equations with the operators of the
Array API standard, which allows updating an array in place but has no
``out=``: the state then lives in that namespace, on the parameters' device.

The state has one layout whatever trained the model: each list in it (Adam's
moments, SGD's velocities) holds one array per parameter, of that
parameter's shape. The NumPy fast path (:meth:`GradientDescent.fuse`) keeps
each list in one flat vector, the list holding views of it, and updates the
flat parameter vector of a workspace with one operation per equation.

Learning-rate schedules. The rate is a host Python float, the same for every
namespace. 'constant', 'invscaling' and 'adaptive' are MLPClassifier's (the
last two for 'sgd' and 'gd'; Adam ignores them, as MLPClassifier's does).
'cosine' and 'plateau', and a linear warm-up of ``warmup_iter`` epochs, work
for every solver; they keep their position in the state: ``epoch`` (epochs
since the schedule started), ``horizon`` (the epochs of a cosine cycle) and
``level`` (the rate that 'plateau' and 'adaptive' lower). The rate of epoch
``e`` (counted from 0) is::

    eta_e = w_e c_e base
    w_e = (e + 1) / W  for e < W = warmup_iter, else 1          (warm-up)
    c_e = (1 + cos(pi max(e - W, 0) / (T - W))) / 2  for 'cosine'
          (T = horizon; eta_min = 0), else 1
    base = level ('plateau', 'adaptive'), eta0 (t + 1) ** -power_t
           ('invscaling'), eta0 = learning_rate_init otherwise

'plateau' divides ``level`` by 5 each time training stalls, and stops
training once it is at most 1e-6 ('adaptive's rule). A cosine cycle ends
after ``horizon`` epochs, and the next starts over (a warm restart).
"""

import math

import numpy as np

from ._network import flatten, unflatten

# The state's keys of a schedule's position (see the module).
POSITION = ("epoch", "horizon", "level")


class GradientDescent:
    """theta <- theta - eta * grad, with an optional learning-rate schedule.

    ``lr_schedule`` is 'constant', 'invscaling' (eta = eta0 / t ** power_t, t the
    number of samples seen), 'adaptive' (eta /= 5 each time training stalls),
    'cosine' or 'plateau' (see the module); ``warmup_iter`` epochs of linear
    warm-up precede any of them. :meth:`begin` places the schedule at the
    start of each call of fit or partial_fit.
    """

    def __init__(
        self,
        params,
        learning_rate_init=0.1,
        lr_schedule="constant",
        power_t=0.5,
        state=None,
        xp=None,
        warmup_iter=0,
    ):
        self.xp = np if xp is None else xp
        self.learning_rate_init = learning_rate_init
        self.lr_schedule = lr_schedule
        self.power_t = power_t
        self.warmup_iter = warmup_iter
        # The schedules that keep a position (epoch, horizon, level) in the state.
        self.positioned = lr_schedule in ("cosine", "plateau") or warmup_iter > 0
        self.state = state or self._initial_state(params)
        self._fused = {}
        # A state continued with another learning_rate_init (fine-tuning after
        # a warm start) restarts the rate from it; the moments, velocities and
        # step count go on. With the same one, the rate reached goes on (as
        # lowered by 'adaptive').
        if self.state["learning_rate_init"] != learning_rate_init:
            self.state["learning_rate_init"] = learning_rate_init
            self.state["learning_rate"] = float(learning_rate_init)
            if "level" in self.state:
                self.state["level"] = float(learning_rate_init)

    def fuse(self):
        """Keep each list of the state in one flat NumPy vector (copied).

        The state's lists become views of the vectors, one per parameter,
        and ``update_params`` then takes the flat parameter and gradient
        vectors (``[theta]``, ``[grad]``, as :func:`_network.flatten` lays
        them out): one operation per equation for all the parameters.
        """
        for key, arrays in self.state.items():
            if isinstance(arrays, list):
                flat = flatten(arrays)
                self.state[key] = unflatten(flat, [a.shape for a in arrays])
                self._fused[key] = [flat]

    def _arrays(self, key):
        """The state's list ``key``, aligned with the params of ``update_params``."""
        return self._fused[key] if self._fused else self.state[key]

    def _initial_state(self, params):
        return {
            "learning_rate": float(self.learning_rate_init),
            "learning_rate_init": self.learning_rate_init,
        }

    @property
    def learning_rate(self):
        return self.state["learning_rate"]

    def update_params(self, params, grads):
        eta = self.state["learning_rate"]
        for theta, grad, step in zip(params, grads, self._scratch(params)):
            theta -= _multiply(eta, grad, step)

    def _scratch(self, params):
        """One work array per parameter, kept between steps: no step allocates.

        Not part of ``state``: it holds nothing to remember. None for each
        parameter of a namespace other than NumPy (new arrays instead).
        """
        if self.xp is not np:
            return [None] * len(params)
        shapes = [theta.shape for theta in params]
        if getattr(self, "_scratch_shapes", None) != shapes:
            self._scratch_arrays = [np.empty_like(theta) for theta in params]
            self._scratch_shapes = shapes
        return self._scratch_arrays

    def begin(self, horizon, restart, time_step):
        """Place the schedule at the start of a call, ``time_step`` samples seen.

        ``restart`` (fit, warm-started or not): the warm-up and a cosine cycle
        of ``horizon`` epochs start over; 'plateau's level goes on, as
        'adaptive's rate does. Without it (partial_fit) the position goes on,
        a new cycle taking ``horizon``. A state left by a schedule with a
        position and continued by one without starts that over from eta0.
        """
        state = self.state
        self._horizon, self._time_step = horizon, time_step
        if not self.positioned:
            if "epoch" in state:
                for key in POSITION:
                    del state[key]
                state["learning_rate"] = float(self.learning_rate_init)
            return
        if restart or "epoch" not in state or not self._in_cycle():
            state.update(epoch=0, horizon=horizon)
            state.setdefault("level", float(self.learning_rate_init))
        state["learning_rate"] = self._scheduled_rate()

    def _in_cycle(self):
        """Whether a cosine position fits its cycle (the warm-up before it)."""
        state = self.state
        if self.lr_schedule != "cosine":
            return True
        return self.warmup_iter < state["horizon"] and state["epoch"] < state["horizon"]

    def _scheduled_rate(self):
        """eta_e = w_e c_e base, the rate of the epoch ``state['epoch']``."""
        state = self.state
        e, W = state["epoch"], self.warmup_iter
        if self.lr_schedule in ("plateau", "adaptive"):
            rate = state["level"]
        elif self.lr_schedule == "invscaling":
            rate = self._invscaling(self._time_step)
        else:
            rate = float(self.learning_rate_init)
        if self.lr_schedule == "cosine":
            rate *= (1 + math.cos(math.pi * max(e - W, 0) / (state["horizon"] - W))) / 2
        if e < W:
            rate *= (e + 1) / W
        return rate

    def _invscaling(self, time_step):
        # eta0 * (t + 1) ** -power_t: underflows to 0 where eta0 / (t + 1) **
        # power_t would overflow for a huge power_t.
        return self.learning_rate_init * ((time_step + 1) ** -self.power_t)

    def iteration_ends(self, time_step):
        """Advance the schedule after an epoch, ``time_step`` samples seen."""
        if self.positioned:
            state = self.state
            self._time_step = time_step
            state["epoch"] += 1
            if self.lr_schedule == "cosine" and state["epoch"] == state["horizon"]:
                state.update(epoch=0, horizon=self._horizon)  # a warm restart
            state["learning_rate"] = self._scheduled_rate()
        elif self.lr_schedule == "invscaling":
            self.state["learning_rate"] = self._invscaling(time_step)

    def trigger_stopping(self):
        """Training stalled: return True to stop, or lower the rate and go on."""
        if self.positioned:
            return self._lower_level()
        if self.lr_schedule != "adaptive" or self.state["learning_rate"] <= 1e-6:
            return True
        self.state["learning_rate"] /= 5.0
        return False

    def _lower_level(self):
        """'adaptive's rule on the level of 'plateau' (or of 'adaptive' with a
        warm-up): True to stop, or the level divided by 5."""
        state = self.state
        if self.lr_schedule not in ("plateau", "adaptive") or state["level"] <= 1e-6:
            return True
        state["level"] /= 5.0
        state["learning_rate"] = self._scheduled_rate()
        return False


class SGD(GradientDescent):
    """Stochastic gradient descent with momentum mu, optionally Nesterov's.

    v <- mu v - eta grad;  theta <- theta + v            (classical momentum)
    v <- mu v - eta grad;  theta <- theta + mu v - eta grad   (Nesterov)
    """

    def __init__(
        self,
        params,
        learning_rate_init=0.1,
        lr_schedule="constant",
        power_t=0.5,
        momentum=0.9,
        nesterov=True,
        state=None,
        xp=None,
        warmup_iter=0,
    ):
        self.momentum = momentum
        self.nesterov = nesterov
        super().__init__(
            params, learning_rate_init, lr_schedule, power_t, state, xp, warmup_iter
        )

    def _initial_state(self, params):
        state = super()._initial_state(params)
        state["velocities"] = [self.xp.zeros_like(theta) for theta in params]
        return state

    def update_params(self, params, grads):
        eta, mu = self.state["learning_rate"], self.momentum
        velocities = self._arrays("velocities")
        for theta, grad, v, step in zip(
            params, grads, velocities, self._scratch(params)
        ):
            eta_grad = _multiply(eta, grad, step)
            v *= mu
            v -= eta_grad
            if self.nesterov:
                theta -= eta_grad
                theta += _multiply(mu, v, step)
            else:
                theta += v


class Adam(GradientDescent):
    """Adam (Kingma & Ba, 2014).

    m <- beta1 m + (1 - beta1) grad;  v <- beta2 v + (1 - beta2) grad**2
    eta_t = eta sqrt(1 - beta2**t) / (1 - beta1**t)
    theta <- theta - eta_t m / (sqrt(v) + epsilon)

    The state keeps ``M = m / (1 - beta1)`` and ``V = v / (1 - beta2)``, whose
    updates ``M <- beta1 M + grad`` and ``V <- beta2 V + grad**2`` need no
    multiplication by a constant: two passes over the parameters fewer per
    step (of twelve), the optimizer being bound by memory traffic. The step
    is the same, written in M and V::

        eta_t m / (sqrt(v) + eps) = c_t M / (sqrt(V) + eps'),
        c_t = eta_t (1 - beta1) / sqrt(1 - beta2),  eps' = eps / sqrt(1 - beta2)

    ``lr_schedule`` 'cosine' or 'plateau' and ``warmup_iter`` schedule eta;
    'invscaling' and 'adaptive' are ignored (eta0 throughout), as
    MLPClassifier's Adam ignores them.
    """

    def __init__(
        self,
        params,
        learning_rate_init=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        state=None,
        xp=None,
        lr_schedule="constant",
        warmup_iter=0,
    ):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        if lr_schedule in ("invscaling", "adaptive"):
            lr_schedule = "constant"
        super().__init__(
            params, learning_rate_init, lr_schedule, 0.5, state, xp, warmup_iter
        )

    def _initial_state(self, params):
        state = super()._initial_state(params)
        state["t"] = 0
        state["M"] = [self.xp.zeros_like(theta) for theta in params]
        state["V"] = [self.xp.zeros_like(theta) for theta in params]
        return state

    def update_params(self, params, grads):
        state = self.state
        state["t"] += 1
        t, b1, b2 = state["t"], self.beta_1, self.beta_2
        eta_t = state["learning_rate"] * math.sqrt(1 - b2**t) / (1 - b1**t)
        root = math.sqrt(1 - b2)
        c_t, eps = eta_t * (1 - b1) / root, self.epsilon / root
        moments = zip(self._arrays("M"), self._arrays("V"), self._scratch(params))
        for theta, grad, (M, V, step) in zip(params, grads, moments):
            # Each equation of the class docstring, in place in M, V and (with
            # NumPy) the work array ``step``: no temporary array is allocated.
            M *= b1
            M += grad
            V *= b2
            V += _multiply(grad, grad, step)
            if step is None:
                denominator = self.xp.sqrt(V) + eps
            else:
                denominator = np.add(np.sqrt(V, out=step), eps, out=step)
            theta -= _multiply(c_t, _divide(M, denominator, step), step)


def _multiply(a, b, out):
    """a * b, into the work array ``out``, or a new array when it is None."""
    return a * b if out is None else np.multiply(a, b, out=out)


def _divide(a, b, out):
    """a / b, into the work array ``out``, or a new array when it is None."""
    return a / b if out is None else np.divide(a, b, out=out)
