"""How good the models are: stratified k-fold and exact leave-one-out ``folds`` as Spark tasks,
``metrics`` from out-of-fold probabilities, the ``reports`` it writes, and ``run_evaluate``
(``muwclass evaluate``).
"""
