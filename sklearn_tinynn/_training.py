"""The training loop: solvers, epochs, the stopping rule, the validation split.

The estimator's ``fit`` and ``partial_fit`` hand validated data to these
methods: L-BFGS through :func:`scipy.optimize.minimize`, or epochs of
minibatches ('adam', 'sgd') or full-batch steps ('gd') with an optimizer of
``_optimizers.py``, in a NumPy :class:`_network.Workspace` or in X's own
namespace. The parameters and the optimizer state keep one layout, lists of
per-parameter arrays ``[W1, b1, W2, b2]``, whichever path trains them.
"""

import copy
import functools
import warnings
from typing import NamedTuple

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer
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

    # ------------------------------------------------------ checkpoints

    def _checkpoint(self):
        """The model as it stands after the epoch that just ended, to save now.

        A shallow copy without the callbacks; while an iterative fit goes
        on after this epoch, it carries the resume state (see ``_fitted``)
        with which a warm-started ``fit`` finishes that fit as if it had not
        stopped. Save it before the next epoch changes the arrays it shares.
        """
        skip = {*_fitted.CALLBACK_STATE, "_fit_progress", "_best_coefs"}
        skip.add("_best_intercepts")
        model = object.__new__(type(self))
        model.__dict__.update({k: v for k, v in vars(self).items() if k not in skip})
        progress = self.__dict__.get("_fit_progress")
        if progress is None or not progress["resumable"]:
            return model
        model._resume = {
            "random_state": copy.deepcopy(self._random_state),
            "n_samples": progress["n_samples"],
        }
        if self._drops():
            model._resume["dropout_seed"] = progress["dropout_seed"]
        if self.early_stopping:
            model._resume.update(
                split_random_state=copy.deepcopy(progress["split_random_state"]),
                best_coefs=copies(self._best_coefs),
                best_intercepts=copies(self._best_intercepts),
            )
        return model

    def _resumed_generator(self, resume, n_samples):
        """The random generator of the fit that ``resume`` continues, as the
        checkpoint left it, once this fit is checked to be that fit."""
        fit = {key: getattr(self, key) for key in _fitted.RESUMED_FIT}
        try:
            _fitted.check_resumed_fit(resume, self._optimizer_state, fit)
            horizon = (self._optimizer_state or {}).get("horizon", self.max_iter)
            if self.learning_rate == "cosine" and horizon != self.max_iter:
                raise ValueError(
                    f"its cosine schedule spans max_iter={horizon} epochs, "
                    f"not {self.max_iter}"
                )
            if n_samples != resume["n_samples"]:
                raise ValueError(
                    f"the checkpoint's fit trained on {resume['n_samples']} samples, "
                    f"this one on {n_samples}"
                )
        except ValueError as exc:
            raise ValueError(
                f"Cannot resume the fit that this checkpoint stopped: {exc}. Resume "
                "with the data and the parameters it was fitted with (max_iter may "
                "grow), or set warm_start=False to start a new fit."
            ) from None
        return copy.deepcopy(resume["random_state"])

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

    def _make_optimizer(self, params, xp, restart):
        """The solver's optimizer over ``params``, continuing the stored state,
        its schedule placed for this call (``restart``, fit: the warm-up and
        the cosine cycle start over; partial_fit and a resumed fit go on: see
        ``_optimizers.py``)."""
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
        optimizer.begin(self.max_iter, restart=restart, time_step=self.t_)
        self._optimizer_state = optimizer.state
        return optimizer

    def _fit_iterative(self, data, incremental, tasks, validation=None, resume=None):
        """Epochs of 'adam', 'sgd' or 'gd'; with early stopping, scored on
        ``validation`` (the X_val given to fit) or on a part held out of
        ``data``. ``resume``: the resume state of the checkpoint whose fit
        this one continues (see ``_fitted``)."""
        # As in MLPClassifier, n_iter_ counts the epochs of this call: max_iter
        # bounds each fit, warm-started or not; partial_fit sets it to 1. A
        # resumed fit goes on counting the epochs of the fit it continues.
        if resume is None:
            self.n_iter_ = 0
        score_validation = None
        self._fit_progress = {
            "n_samples": data.X.shape[0],
            "resumable": False,
            "dropout_seed": self._dropout_seed(resume),
        }
        if self.early_stopping:  # never with partial_fit (see _fit)
            data, validation = self._start_early_stopping(data, validation, resume)
            score_validation = self._validation_scorer(validation)
        restart = not (incremental or resume is not None)
        run_epoch, optimizer = self._epoch_runner(data, incremental, restart)
        try:
            self._epochs(
                run_epoch, optimizer, score_validation, incremental, tasks, data.xp
            )
        except KeyboardInterrupt:
            # partial_fit lets it propagate (its transaction restores the model),
            # so that a loop of calls stops; fit stops and keeps the weights so far.
            if incremental:
                raise
            warnings.warn("Training interrupted by user.", stacklevel=2)
        finally:
            del self._fit_progress
        if self.early_stopping:
            self.coefs_, self.intercepts_ = self._best_coefs, self._best_intercepts

    def _epochs(self, run_epoch, optimizer, score_validation, incremental, tasks, xp):
        """Epochs until the stopping rule, a callback or max_iter ends them;
        ``score_validation()`` (None without early stopping) after each."""
        max_epochs = 1 if incremental else self.max_iter
        early_stopping = score_validation is not None
        for _ in range(self.n_iter_, max_epochs):
            tasks.begin_epoch()
            run_epoch()
            self.n_iter_ += 1
            if early_stopping:
                score_validation()
            self._update_no_improvement_count(early_stopping)
            optimizer.iteration_ends(self.t_)
            stalled = self._stalled(optimizer, early_stopping)
            # The epoch's state is complete: a checkpoint taken now resumes.
            self._fit_progress["resumable"] = not (
                incremental or stalled or self.n_iter_ == max_epochs
            )
            # tasks.end_epoch() is True when a callback asks to stop.
            if tasks.end_epoch() or stalled:
                return
        if not incremental:
            warnings.warn(
                f"Solver {self.solver!r}: maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=2,
            )

    def _drops(self):
        """Whether this fit draws dropout masks: of the hidden layer, of the
        inputs or of both (the two share one seed; see ``_fitted``)."""
        return _fitted.uses_dropout_seed(
            {name: getattr(self, name) for name in _fitted.DROPOUTS}
        )

    def _dropout_seed(self, resume):
        """The seed of this fit's dropout masks (None without dropout, which
        then draws nothing): the seed of the fit that ``resume`` continues,
        or drawn from the fit's random state after the initial weights and
        before the validation split and the shuffles, which depend on the
        number of rows: a weighted fit and its repeated rows draw the same."""
        if not self._drops():
            return None
        if resume is not None:
            return resume["dropout_seed"]
        return int(self._random_state.randint(2**63, dtype=np.int64))

    def _epoch_runner(self, data, incremental, restart):
        """The function running one epoch, and the optimizer it updates with.

        NumPy trains in a Workspace (no step allocates), its optimizer fused
        onto the flat vectors; another namespace updates the fitted arrays
        themselves, with Y and the weights moved to its device once. Both keep
        the optimizer state in one layout and share one epoch loop,
        ``_run_epoch``. With dropout, the rows' keys (see
        ``_network.row_keys``) are hashed on the host once: X of another
        namespace is copied to the host for it.
        """
        X, Y, sample_weight, xp, device = data
        keys = _network.row_keys(to_numpy(X)) if self._drops() else None
        if xp is np:
            X, Y, workspace = self._make_workspace(X, Y, incremental)
            optimizer = self._make_optimizer(workspace.params, xp, restart)
            optimizer.fuse()
            step = functools.partial(
                self._workspace_step, X, Y, workspace, optimizer, keys
            )
            batch_size = workspace.Z1.shape[0]
        else:
            params = self._params
            on_device = TrainingData(
                X, *from_numpy([Y, sample_weight], xp, device), xp, device
            )
            optimizer = self._make_optimizer(params, xp, restart)
            step = functools.partial(
                self._portable_step, on_device, params, optimizer, keys
            )
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
            self._params,
            Y,
            self._batch_size(X.shape[0]),
            full_batch,
            dropout=self.dropout > 0,
            input_dropout=self.input_dropout > 0,
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

    def _start_early_stopping(self, data, validation, resume):
        """The training and held-out parts of ``data`` (all of it and
        ``validation`` when X_val was given), and the best weights so far:
        those of the checkpoint's fit when it resumes."""
        if self.validation_scores_ is None:
            self._start_validation_records()
        split_generator = self._random_state
        best = self.coefs_, self.intercepts_
        if resume is not None:  # the same rows as the fit it continues
            split_generator = copy.deepcopy(resume["split_random_state"])
            best = resume["best_coefs"], resume["best_intercepts"]
        self._fit_progress["split_random_state"] = copy.deepcopy(split_generator)
        self._best_coefs, self._best_intercepts = copies(best[0]), copies(best[1])
        if validation is not None:
            return data, validation
        return self._validation_split(data, split_generator)

    def _validation_split(self, data, generator):
        """``data`` split into the training part and the held-out part.

        The rows are drawn on the host from ``generator``; the held-out Y and
        weights go to the device of X, for the validation scores to be
        computed there.
        """
        X, Y, sample_weight, xp, device = data
        try:
            train, val = train_test_split(
                np.arange(Y.shape[0]),
                random_state=generator,
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

        ``step(index, rows, sw)`` trains on one minibatch and returns its
        loss: ``index`` selects its rows (a slice, or indices in X's
        namespace), ``rows`` the same on the host and ``sw`` holds their host
        weights. The order comes from the host's random state, moved to X's
        device once; each minibatch's total weight comes from the host's
        weights; the loss adds up in X's namespace and is read once: on a
        device, no minibatch waits for it.
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
            loss = step(batch if indices is None else indices[batch], rows, sw)
            total_loss = total_loss + loss * weight
            total_weight += weight
        self.t_ += n_samples
        self._append_loss(float(total_loss) / total_weight if total_weight else 0.0, xp)

    def _workspace_step(self, X, Y, workspace, optimizer, keys, index, rows, sw):
        """One NumPy minibatch, gathered into and computed in the workspace."""
        X_batch, Y_batch = workspace.minibatch(X, Y, index)
        of = self._mask_of(keys, rows)
        if self.input_dropout > 0:
            X_batch = self._dropped_inputs(of, X_batch, workspace)
        mask = None
        if self.dropout > 0:
            out = workspace.mask[: X_batch.shape[0]]
            mask = self._dropout_mask(of, out.dtype, out, workspace.draws)
        loss, _ = _network.loss_and_gradients(
            *(X_batch, Y_batch, workspace.params, *self._network_args(), sw),
            workspace,
            mask=mask,
        )
        optimizer.update_params([workspace.theta], [workspace.grad])
        return loss

    def _portable_step(self, data, params, optimizer, keys, index, rows, _host_sw):
        """One minibatch in X's namespace, its weights taken on the device."""
        X, Y, sample_weight, xp, device = data
        X_batch, Y_batch, sw = (
            _network.take_rows(a, index, xp) for a in (X, Y, sample_weight)
        )
        # The masks are computed on the host, as NumPy computes them, and
        # moved once.
        of, dtype = self._mask_of(keys, rows), host_dtype(X_batch, xp)
        if self.input_dropout > 0:
            D0 = _network.input_mask(*of, X_batch.shape[1], self.input_dropout, dtype)
            X_batch = X_batch * from_numpy([D0], xp, device)[0]
        mask = None
        if self.dropout > 0:
            mask = self._dropout_mask(of, dtype)
        loss, grads = _network.loss_and_gradients(
            *(X_batch, Y_batch, params, *self._network_args(), sw),
            xp=xp,
            mask=from_numpy([mask], xp, device)[0],
        )
        optimizer.update_params(params, grads)
        return loss

    def _dropout_mask(self, of, dtype, out=None, scratch=None):
        """The dropout mask of a minibatch (into ``out`` when given), ``of``
        what it is a function of (see ``_mask_of``)."""
        return _network.dropout_mask(
            *of,
            int(self.hidden_layer_size),
            self.dropout,
            dtype,
            out,
            scratch,
        )

    def _dropped_inputs(self, of, X_batch, workspace):
        """X D0, the minibatch under its input dropout mask (see
        ``_network.dropped_inputs``; ``of``, see ``_mask_of``), in the
        workspace's arrays."""
        return _network.dropped_inputs(
            *of,
            *(X_batch, self.input_dropout, workspace.X_train),
            *(workspace.input_mask, workspace.input_draws),
        )

    def _mask_of(self, keys, rows):
        """What the masks of the minibatch ``rows`` are a function of, found
        once per step: the fit's seed, the epoch (the model's count of epochs
        before it, going on over warm starts) and the rows' ``keys``; None
        without dropout (no keys)."""
        if keys is None:
            return None
        return self._fit_progress["dropout_seed"], len(self.loss_curve_), keys[rows]

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

    def _validation_scorer(self, validation):
        """The function that records the validation loss and score of an epoch."""
        if self.scoring is None or self.scoring == "loss":
            return functools.partial(self._score_validation, validation)
        X_val, Y_val, sw_val, xp, device = validation
        labels = self._labels(to_numpy(Y_val))
        if xp is not np and labels.dtype.kind in "biuf":  # as predict returns them
            labels = xp.asarray(labels, device=device)
        scored = TrainingData(X_val, labels, sw_val, xp, device)
        scorer = functools.partial(self._call_scorer, get_scorer(self.scoring), scored)
        return functools.partial(self._score_validation, validation, scorer)

    def _call_scorer(self, scorer, scored):
        """``scorer(self, X_val, y_val[, sample_weight=])`` as a finite float."""
        X_val, y_val, sw_val, _, _ = scored
        kwargs = {} if sw_val is None else {"sample_weight": sw_val}
        with warnings.catch_warnings():
            # X_val was validated into an array: its column names were checked.
            warnings.filterwarnings("ignore", "X does not have valid feature names")
            score = float(scorer(self, X_val, y_val, **kwargs))
        if not np.isfinite(score):
            raise ValueError(
                f"scoring={self.scoring!r} gave the score {score} at epoch "
                f"{self.n_iter_}; early stopping needs finite scores."
            )
        return score

    def _score_validation(self, validation, scorer=None):
        """Append the validation loss and the score: the accuracy (scoring
        None), minus the loss ('loss') or ``scorer()``."""
        X_val, Y_val, sw_val, xp, _ = validation
        A2 = self._forward(X_val, xp)
        loss = float(
            _network.cross_entropy(Y_val, A2, self.out_activation_, sw_val, xp)
        )
        self.validation_loss_curve_.append(loss)
        if self.scoring is None:
            score = self._accuracy(A2, Y_val, sw_val, xp)
        elif scorer is None:
            score = -loss  # higher is better, as for every score
        else:
            score = scorer()
        self.validation_scores_.append(score)
        if self.verbose:
            print(f"Validation score: {score:f}")

    def _accuracy(self, A2, Y_val, sw_val, xp):
        """The weighted share of validation rows whose prediction is right."""
        if self.n_outputs_ == 1:
            correct = (A2[:, 0] > 0.5) == (Y_val[:, 0] > 0.5)
        elif self._multilabel:
            correct = xp.all((A2 > 0.5) == (Y_val > 0.5), axis=1)
        else:
            correct = xp.argmax(A2, axis=1) == xp.argmax(Y_val, axis=1)
        if xp is np:
            return float(np.average(correct, weights=sw_val))
        # One number read from the device.
        correct = xp.astype(correct, A2.dtype)
        weights = xp.ones_like(correct) if sw_val is None else sw_val
        return float(xp.sum(correct * weights) / xp.sum(weights))

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
