"""Optimizers: plain gradient descent, SGD with (Nesterov) momentum, and Adam.

All share one interface: ``update_params(params, grads)`` updates the flat
parameter list ``[W1, b1, W2, b2]`` in place. Each optimizer keeps everything
it must remember between steps in ``self.state``, a plain dict of numbers and
arrays, so that an estimator can store it and continue later (``warm_start``)
without pickling an optimizer object.
"""

import math

import numpy as np


class GradientDescent:
    """theta <- theta - eta * grad, with an optional learning-rate schedule.

    ``lr_schedule`` is 'constant', 'invscaling' (eta = eta0 / t ** power_t, t the
    number of samples seen) or 'adaptive' (eta /= 5 each time training stalls).
    """

    def __init__(
        self,
        params,
        learning_rate_init=0.1,
        lr_schedule="constant",
        power_t=0.5,
        state=None,
    ):
        self.learning_rate_init = learning_rate_init
        self.lr_schedule = lr_schedule
        self.power_t = power_t
        self.state = state or self._initial_state(params)
        # A state continued with another learning_rate_init (fine-tuning after
        # a warm start) restarts the rate from it; the moments, velocities and
        # step count go on. With the same one, the rate reached goes on (as
        # lowered by 'adaptive'). A state saved without the key keeps its rate.
        previous = self.state.setdefault("learning_rate_init", learning_rate_init)
        if previous != learning_rate_init:
            self.state["learning_rate_init"] = learning_rate_init
            self.state["learning_rate"] = float(learning_rate_init)

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
            theta -= np.multiply(eta, grad, out=step)

    def _scratch(self, params):
        """One work array per parameter, kept between steps: no step allocates.

        Not part of ``state``: it holds nothing to remember.
        """
        shapes = [theta.shape for theta in params]
        if getattr(self, "_scratch_shapes", None) != shapes:
            self._scratch_arrays = [np.empty_like(theta) for theta in params]
            self._scratch_shapes = shapes
        return self._scratch_arrays

    def iteration_ends(self, time_step):
        """Apply the 'invscaling' schedule after ``time_step`` samples."""
        if self.lr_schedule == "invscaling":
            # eta0 * (t + 1) ** -power_t: underflows to 0 where eta0 / (t + 1) **
            # power_t would overflow for a huge power_t.
            self.state["learning_rate"] = self.learning_rate_init * (
                (time_step + 1) ** -self.power_t
            )

    def trigger_stopping(self):
        """Training stalled: return True to stop, or lower the rate and go on."""
        if self.lr_schedule != "adaptive" or self.state["learning_rate"] <= 1e-6:
            return True
        self.state["learning_rate"] /= 5.0
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
    ):
        self.momentum = momentum
        self.nesterov = nesterov
        super().__init__(params, learning_rate_init, lr_schedule, power_t, state)

    def _initial_state(self, params):
        state = super()._initial_state(params)
        state["velocities"] = [np.zeros_like(theta) for theta in params]
        return state

    def update_params(self, params, grads):
        eta, mu = self.state["learning_rate"], self.momentum
        velocities = self.state["velocities"]
        for theta, grad, v, step in zip(
            params, grads, velocities, self._scratch(params)
        ):
            eta_grad = np.multiply(eta, grad, out=step)
            v *= mu
            v -= eta_grad
            if self.nesterov:
                theta -= eta_grad
                theta += np.multiply(mu, v, out=step)
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
    """

    def __init__(
        self,
        params,
        learning_rate_init=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        state=None,
    ):
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        super().__init__(params, learning_rate_init, "constant", 0.5, state)
        if "m" in self.state:  # saved by an earlier build, which kept m and v
            self.state["M"] = [m / (1 - beta_1) for m in self.state.pop("m")]
            self.state["V"] = [v / (1 - beta_2) for v in self.state.pop("v")]

    def _initial_state(self, params):
        state = super()._initial_state(params)
        state["t"] = 0
        state["M"] = [np.zeros_like(theta) for theta in params]
        state["V"] = [np.zeros_like(theta) for theta in params]
        return state

    def update_params(self, params, grads):
        state = self.state
        state["t"] += 1
        t, b1, b2 = state["t"], self.beta_1, self.beta_2
        eta_t = state["learning_rate"] * math.sqrt(1 - b2**t) / (1 - b1**t)
        root = math.sqrt(1 - b2)
        c_t, eps = eta_t * (1 - b1) / root, self.epsilon / root
        moments = zip(state["M"], state["V"], self._scratch(params))
        for theta, grad, (M, V, step) in zip(params, grads, moments):
            # Each equation of the class docstring, in place in M, V and the
            # work array ``step``: no temporary array is allocated.
            M *= b1
            M += grad
            V *= b2
            V += np.multiply(grad, grad, out=step)
            denominator = np.add(np.sqrt(V, out=step), eps, out=step)
            theta -= np.multiply(c_t, np.divide(M, denominator, out=step), out=step)
