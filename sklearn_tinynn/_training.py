"""The training loop: solvers, epochs, the stopping rule, the validation split.

The estimator's ``fit`` and ``partial_fit`` hand validated data to these
methods: L-BFGS through :func:`scipy.optimize.minimize`, or epochs of
minibatches ('adam', 'sgd') or full-batch steps ('gd') with an optimizer of
``_optimizers.py``, in a NumPy :class:`_network.Workspace` or in X's own
namespace. The parameters and the optimizer state keep one layout, lists of
per-parameter arrays ``[W1, b1, W2, b2]``, whichever path trains them.
"""

import functools
import warnings
from typing import NamedTuple

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches

from . import _fitted, _network
from ._array_api import copies, from_numpy, host_dtype, to_numpy
from ._optimizers import SGD, Adam, GradientDescent


class DivergenceError(ValueError):
    """The training loss or the weights stopped being finite (a ValueError,
    told apart by the learning-rate range test, which stops there)."""


class TrainingData(NamedTuple):
    """Training arrays: X in the namespace ``xp`` on ``device``; Y and the
    sample weights on the host, or on the device once moved there."""

    X: object
    Y: object
    sample_weight: object
    xp: object
    device: object


class TrainingMixin:
    """The training methods of the estimator (see the module)."""

    def _transaction(self, method, *args, **kwargs):
        """Run ``method``; if it raises, restore the fitted state it started from.

        A failed validation, a diverging fit or a Ctrl-C leaves a fitted model
        exactly as it was, and an unfitted one unfitted. In a time that does
        not grow with the calls before: the attributes a call replaces are
        kept by reference, the records it appends to by their lengths, and
        only the arrays it updates in place are copied.
        """
        state = self.__dict__
        saved = {k: v for k, v in state.items() if k not in _fitted.CALLBACK_STATE}
        lengths = {
            k: len(saved[k]) for k in _fitted.RECORDS if saved.get(k) is not None
        }
        updated_in_place = self._copies_of_updated_arrays()
        try:
            return method(*args, **kwargs)
        except BaseException:
            callbacks = {k: state[k] for k in _fitted.CALLBACK_STATE if k in state}
            state.clear()
            state.update(saved, **callbacks, **updated_in_place)
            for name, length in lengths.items():
                del state[name][length:]
            raise

    def _copies_of_updated_arrays(self):
        """Copies of the fitted arrays that training updates in place: the
        parameters and the optimizer state's moments or velocities."""
        if "coefs_" not in self.__dict__:
            return {}
        saved = {"coefs_": copies(self.coefs_), "intercepts_": copies(self.intercepts_)}
        state = getattr(self, "_optimizer_state", None)
        if state is not None:
            saved["_optimizer_state"] = {
                key: copies(value) if isinstance(value, list) else value
                for key, value in state.items()
            }
        return saved

    # ------------------------------------------------------- initialization

    def _initialize(self, n_features, Y, sample_weight, incremental, xp, device):
        params = _network.init_params(
            n_features,
            int(self.hidden_layer_size),  # sizes in Python ints, whatever was given
            Y.shape[1],
            self.activation,
            self._random_state,
            Y.dtype,
            init=self.init,
        )
        # b2 is drawn as MLPClassifier draws it (so W1, b1 and W2 stay the same
        # draws), then set to the weighted log prior: the untrained network
        # predicts the class frequencies instead of random ones. The classes
        # declared to partial_fit and absent from its first data start level
        # with an average seen class (see the user guide).
        declared = incremental and not self._multilabel
        params[3] = _network.prior_biases(
            Y, sample_weight, self.out_activation_, fill_absent=declared
        )
        params = from_numpy(params, xp, device)
        self.coefs_ = params[0::2]
        self.intercepts_ = params[1::2]
        self.n_layers_ = 3
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.best_loss_ = np.inf
        self._no_improvement_count = 0
        self._optimizer_state = None
        self.validation_scores_ = None
        self.validation_loss_curve_ = None
        self.best_validation_score_ = None

    def _start_validation_records(self):
        """Empty validation records, for the first fit with early stopping
        (also a warm-started one after fits without it)."""
        self.validation_scores_ = []
        self.validation_loss_curve_ = []
        self.best_validation_score_ = -np.inf
        self.best_loss_ = None

    def _check_warm_start_shapes(self):
        if self.coefs_[0].shape[1] != self.hidden_layer_size:
            raise ValueError(
                f"hidden_layer_size={self.hidden_layer_size} differs from the "
                f"fitted model's {self.coefs_[0].shape[1]}: set warm_start=False "
                "to train a new network."
            )

    @property
    def _params(self):
        """The flat parameter list [W1, b1, W2, b2] (the fitted arrays themselves)."""
        W1, W2 = self.coefs_
        b1, b2 = self.intercepts_
        return [W1, b1, W2, b2]

    def _network_args(self):
        return self.activation, self.out_activation_, self.alpha

    # ----------------------------------------------------------- L-BFGS

    def _fit_lbfgs(self, data, tasks):
        # SciPy drives a float64 NumPy theta on the host; the loss and the
        # gradient are computed where X lives: only theta and the gradient
        # cross between the two at each evaluation.
        X, Y, sample_weight, xp, device = data
        Y, sample_weight = from_numpy([Y, sample_weight], xp, device)
        params = self._params
        shapes = [tuple(p.shape) for p in params]
        dtype = X.dtype if xp is np else host_dtype(X, xp)
        last_loss = []

        def unpack(theta):
            views = _network.unflatten(theta.astype(dtype, copy=False), shapes)
            return from_numpy(views, xp, device)

        def loss_and_grad(theta):
            loss, grads = _network.loss_and_gradients(
                X, Y, unpack(theta), *self._network_args(), sample_weight, xp=xp
            )
            last_loss[:] = [float(loss)]
            return last_loss[0], _host_float64(_network.flatten(grads, xp))

        def record(theta):
            # The fitted arrays follow the iterates, for the callbacks to see.
            for param, value in zip(params, unpack(theta)):
                param[...] = value
            self._append_loss(last_loss[0], xp)
            # One task per iteration; L-BFGS cannot be stopped from here.
            tasks.begin_epoch()
            tasks.end_epoch()

        result = scipy.optimize.minimize(
            loss_and_grad,
            _host_float64(_network.flatten(params, xp)),
            jac=True,
            method="L-BFGS-B",
            callback=record,
            options={
                "maxfun": self.max_fun,
                "maxiter": self.max_iter,
                "gtol": self.tol,
            },
        )
        self._end_lbfgs(result, unpack(result.x), X.shape[0], xp)

    def _end_lbfgs(self, result, params, n_samples, xp):
        """The fitted state after L-BFGS, and a warning where it stopped early."""
        W1, b1, W2, b2 = params
        self.coefs_, self.intercepts_ = [W1, W2], [b1, b2]
        self._check_finite(float(result.fun), xp)
        self.n_iter_ = int(result.nit)
        self.t_ += n_samples * self.n_iter_
        self.loss_ = float(result.fun)
        # best_loss_ is None after an early-stopping fit with another solver.
        best = np.inf if self.best_loss_ is None else self.best_loss_
        self.best_loss_ = min(best, self.loss_)
        if result.status == 1:
            warnings.warn(
                f"L-BFGS stopped after {self.n_iter_} iterations or {result.nfev} "
                f"loss evaluations (max_iter={self.max_iter}, max_fun="
                f"{self.max_fun}) before converging. Increase them, or scale the "
                "data.",
                ConvergenceWarning,
                stacklevel=2,
            )

    # ----------------------------------------------- minibatch and full batch

    def _make_optimizer(self, params, xp, incremental):
        """The solver's optimizer over ``params``, continuing the stored state,
        its schedule placed for this call (fit restarts the warm-up and the
        cosine cycle; partial_fit goes on: see ``_optimizers.py``)."""
        kind = self.solver
        state = self._optimizer_state
        if state is not None and state.get("solver") != kind:
            state = None
        schedule = {"warmup_iter": self.warmup_iter, "state": state, "xp": xp}
        if kind == "adam":
            optimizer = Adam(
                params,
                self.learning_rate_init,
                self.beta_1,
                self.beta_2,
                self.epsilon,
                lr_schedule=self.learning_rate,
                **schedule,
            )
        elif kind == "sgd":
            optimizer = SGD(
                params,
                self.learning_rate_init,
                self.learning_rate,
                self.power_t,
                self.momentum,
                self.nesterovs_momentum and self.momentum > 0,
                **schedule,
            )
        else:
            optimizer = GradientDescent(
                params,
                self.learning_rate_init,
                self.learning_rate,
                self.power_t,
                **schedule,
            )
        optimizer.state["solver"] = kind
        optimizer.begin(self.max_iter, restart=not incremental, time_step=self.t_)
        self._optimizer_state = optimizer.state
        return optimizer

    def _fit_iterative(self, data, incremental, tasks):
        validation = None
        if self.early_stopping:  # never with partial_fit (see _fit)
            if self.validation_scores_ is None:
                self._start_validation_records()
            data, validation = self._validation_split(data)
            self._best_coefs = copies(self.coefs_)
            self._best_intercepts = copies(self.intercepts_)
        run_epoch, optimizer = self._epoch_runner(data, incremental)
        try:
            self._epochs(run_epoch, optimizer, validation, incremental, tasks, data.xp)
        except KeyboardInterrupt:
            # partial_fit lets it propagate (its transaction restores the model),
            # so that a loop of calls stops; fit stops and keeps the weights so far.
            if incremental:
                raise
            warnings.warn("Training interrupted by user.", stacklevel=2)
        if self.early_stopping:
            self.coefs_, self.intercepts_ = self._best_coefs, self._best_intercepts

    def _epochs(self, run_epoch, optimizer, validation, incremental, tasks, xp):
        """Epochs until the stopping rule, a callback or max_iter ends them."""
        # As in MLPClassifier, n_iter_ counts the epochs of this call: max_iter
        # bounds each fit, warm-started or not; partial_fit sets it to 1.
        self.n_iter_ = 0
        for _ in range(1 if incremental else self.max_iter):
            tasks.begin_epoch()
            run_epoch()
            self.n_iter_ += 1
            if validation is not None:
                self._score_validation(validation)
            self._update_no_improvement_count(validation is not None)
            optimizer.iteration_ends(self.t_)
            # tasks.end_epoch() is True when a callback asks to stop.
            if tasks.end_epoch() or self._stalled(optimizer, validation is not None):
                return
        if not incremental:
            warnings.warn(
                f"Solver {self.solver!r}: maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=2,
            )

    def _epoch_runner(self, data, incremental):
        """The function running one epoch, and the optimizer it updates with.

        NumPy trains in a Workspace (no step allocates), its optimizer fused
        onto the flat vectors; another namespace updates the fitted arrays
        themselves, with Y and the weights moved to its device once. Both keep
        the optimizer state in one layout and share one epoch loop,
        ``_run_epoch``.
        """
        X, Y, sample_weight, xp, device = data
        if xp is np:
            X, Y, workspace = self._make_workspace(X, Y, incremental)
            optimizer = self._make_optimizer(workspace.params, xp, incremental)
            optimizer.fuse()
            step = functools.partial(self._workspace_step, X, Y, workspace, optimizer)
            batch_size = workspace.Z1.shape[0]
        else:
            params = self._params
            on_device = TrainingData(
                X, *from_numpy([Y, sample_weight], xp, device), xp, device
            )
            optimizer = self._make_optimizer(params, xp, incremental)
            step = functools.partial(self._portable_step, on_device, params, optimizer)
            batch_size = self._batch_size(X.shape[0])
        run = functools.partial(
            self._run_epoch, X.shape[0], batch_size, sample_weight, step, xp, device
        )
        return run, optimizer

    def _make_workspace(self, X, Y, incremental):
        """The training buffers, and X and Y laid out for them; the fitted
        arrays become views of the workspace's theta."""
        full_batch = self.solver == "gd" and not incremental
        Y, workspace = _network.training_workspace(
            self._params, Y, self._batch_size(X.shape[0]), full_batch
        )
        # The optimizer updates the flat vector theta in one operation per
        # equation; coefs_ and intercepts_ are views of it.
        W1, b1, W2, b2 = workspace.params
        self.coefs_, self.intercepts_ = [W1, W2], [b1, b2]
        return X, Y, workspace

    def _stalled(self, optimizer, early_stopping):
        """The stopping rule: no improvement for more than n_iter_no_change
        epochs, and no lower learning rate left to try ('adaptive')."""
        if self._no_improvement_count <= self.n_iter_no_change:
            return False
        if optimizer.trigger_stopping():
            self._report_stall(early_stopping)
            return True
        self._no_improvement_count = 0
        return False

    def _rows_per_step(self, n_samples):
        """Rows of one step: a minibatch ('adam', 'sgd') or all of them."""
        return _network.rows_per_step(self.solver, self.batch_size, n_samples)

    def _batch_size(self, n_samples):
        """``_rows_per_step``, with a warning for a batch_size beyond n_samples."""
        rows = self._rows_per_step(n_samples)
        if self.solver != "gd" and self.batch_size != "auto" and rows < self.batch_size:
            warnings.warn(
                f"Got batch_size={self.batch_size} larger than the number of "
                f"samples {n_samples}: using batch_size={n_samples}.",
                stacklevel=2,
            )
        return rows

    def _validation_split(self, data):
        """``data`` split into the training part and the held-out part.

        The rows are drawn on the host; the held-out Y and weights go to the
        device of X, for the validation scores to be computed there.
        """
        X, Y, sample_weight, xp, device = data
        try:
            train, val = train_test_split(
                np.arange(Y.shape[0]),
                random_state=self._random_state,
                test_size=self.validation_fraction,
                stratify=self._strata(Y),
            )
        except ValueError as exc:  # a stratified part smaller than the classes
            raise ValueError(
                f"early_stopping cannot hold out validation_fraction="
                f"{self.validation_fraction} of {Y.shape[0]} samples: {exc}. Change "
                "validation_fraction so that both parts hold every class, or use "
                "more data."
            ) from exc
        if val.shape[0] < 2:
            raise ValueError(
                f"The validation set has {val.shape[0]} sample(s) with "
                f"validation_fraction={self.validation_fraction}; it needs at least "
                "2: increase validation_fraction or use more data."
            )
        if sample_weight is not None and (
            sample_weight[train].sum() == 0 or sample_weight[val].sum() == 0
        ):
            raise ValueError(
                "The sample weights of the training or the validation set are all "
                f"zero with validation_fraction={self.validation_fraction}: give "
                "more samples a positive weight, or set early_stopping=False."
            )
        weights = (
            [None, None]
            if sample_weight is None
            else [sample_weight[train], sample_weight[val]]
        )
        X_train, X_val = (
            _network.take_rows(X, rows, xp)
            for rows in from_numpy([train, val], xp, device)
        )
        training = TrainingData(X_train, Y[train], weights[0], xp, device)
        Y_val, sw_val = from_numpy([Y[val], weights[1]], xp, device)
        held_out = TrainingData(X_val, Y_val, sw_val, xp, device)
        return training, held_out

    def _strata(self, Y):
        """The class of each row, to stratify the split by; None (no strata)
        for multilabel Y or when a class has too few samples to be split."""
        if self._multilabel:
            return None
        # Binary: one column holding the class index.
        strata = Y[:, 0].astype(int) if self.n_outputs_ == 1 else Y.argmax(axis=1)
        counts = np.bincount(strata)
        return strata if counts[counts > 0].min() >= 2 else None

    def _run_epoch(self, n_samples, batch_size, host_weights, step, xp, device):
        """One pass over the data in minibatches; appends the epoch's loss.

        ``step(index, sw)`` trains on one minibatch and returns its loss:
        ``index`` selects its rows (a slice, or indices in X's namespace) and
        ``sw`` holds their host weights. The order comes from the host's
        random state, moved to X's device once; each minibatch's total weight
        comes from the host's weights; the loss adds up in X's namespace and
        is read once: on a device, no minibatch waits for it.
        """
        order = indices = None
        if self.shuffle and self.solver != "gd":
            order = self._random_state.permutation(n_samples)
            indices = order if xp is np else xp.asarray(order, device=device)
        total_loss = total_weight = 0.0
        for batch in gen_batches(n_samples, batch_size):
            # Unshuffled batches are slices: views of X, not copies.
            rows = batch if order is None else order[batch]
            sw = None if host_weights is None else host_weights[rows]
            weight = batch.stop - batch.start if sw is None else float(sw.sum())
            if weight == 0:
                continue  # a minibatch of zero total weight carries no gradient
            loss = step(batch if indices is None else indices[batch], sw)
            total_loss = total_loss + loss * weight
            total_weight += weight
        self.t_ += n_samples
        self._append_loss(float(total_loss) / total_weight if total_weight else 0.0, xp)

    def _workspace_step(self, X, Y, workspace, optimizer, rows, sw):
        """One NumPy minibatch, gathered into and computed in the workspace."""
        X_batch, Y_batch = workspace.minibatch(X, Y, rows)
        loss, _ = _network.loss_and_gradients(
            X_batch, Y_batch, workspace.params, *self._network_args(), sw, workspace
        )
        optimizer.update_params([workspace.theta], [workspace.grad])
        return loss

    def _portable_step(self, data, params, optimizer, index, _host_sw):
        """One minibatch in X's namespace, its weights taken on the device."""
        X, Y, sample_weight, xp, _ = data
        X_batch, Y_batch, sw = (
            _network.take_rows(a, index, xp) for a in (X, Y, sample_weight)
        )
        loss, grads = _network.loss_and_gradients(
            X_batch, Y_batch, params, *self._network_args(), sw, xp=xp
        )
        optimizer.update_params(params, grads)
        return loss

    def _append_loss(self, loss, xp=np):
        self._check_finite(loss, xp)
        self.loss_ = loss
        self.loss_curve_.append(loss)
        if self.verbose:
            print(f"Iteration {len(self.loss_curve_)}, loss = {loss:.8f}")

    def _check_finite(self, loss, xp=np):
        finite = np.isfinite(loss) and all(
            bool(xp.all(xp.isfinite(p))) for p in self._params
        )
        if not finite:
            raise DivergenceError(
                f"The training loss became {loss} (weights not finite) at iteration "
                f"{len(self.loss_curve_) + 1}: training diverged. Lower "
                f"learning_rate_init (now {self.learning_rate_init}) or scale the "
                "input features (for example to [0, 1] with MinMaxScaler); raw "
                "0-255 pixels need a much smaller learning rate. A huge alpha (now "
                f"{self.alpha}) or tiny sample weights, which divide the penalty, "
                "also make the steps too large."
            )

    def _score_validation(self, validation):
        X_val, Y_val, sw_val, xp, _ = validation
        A2 = self._forward(X_val, xp)
        self.validation_loss_curve_.append(
            float(_network.cross_entropy(Y_val, A2, self.out_activation_, sw_val, xp))
        )
        if self.n_outputs_ == 1:
            correct = (A2[:, 0] > 0.5) == (Y_val[:, 0] > 0.5)
        elif self._multilabel:
            correct = xp.all((A2 > 0.5) == (Y_val > 0.5), axis=1)
        else:
            correct = xp.argmax(A2, axis=1) == xp.argmax(Y_val, axis=1)
        if xp is np:
            score = float(np.average(correct, weights=sw_val))
        else:  # one number read from the device
            correct = xp.astype(correct, A2.dtype)
            weights = xp.ones_like(correct) if sw_val is None else sw_val
            score = float(xp.sum(correct * weights) / xp.sum(weights))
        self.validation_scores_.append(score)
        if self.verbose:
            print(f"Validation score: {score:f}")

    def _update_no_improvement_count(self, early_stopping):
        if early_stopping:
            score = self.validation_scores_[-1]
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_coefs = copies(self.coefs_)
                self._best_intercepts = copies(self.intercepts_)
        else:
            # best_loss_ is None after an early-stopping fit; partial_fit goes on.
            best = np.inf if self.best_loss_ is None else self.best_loss_
            if self.loss_curve_[-1] > best - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(best, self.loss_curve_[-1])

    def _report_stall(self, early_stopping):
        if self.verbose:
            what = "Validation score" if early_stopping else "Training loss"
            print(
                f"{what} did not improve more than tol={self.tol} for "
                f"{self.n_iter_no_change} consecutive epochs. Stopping."
            )


def _host_float64(flat):
    """A 1-d array of any namespace as the float64 NumPy vector SciPy takes."""
    return to_numpy(flat).astype(np.float64)
