"""Classification: from a training set to classes with Monte-Carlo confidence.

Training data (``training_set``, ``classes``: class schemes), features (``features``,
``absorption``: nH/extinction correction, ``oversampling``), the scikit-learn pipeline
(``estimator``), fitted models on disk (``model_store``) and the nH-bin ``family``; at
prediction: crossmatch rows to model input (``inputs``), ``confidence`` (Monte-Carlo draws),
``outliers``, the engine-free ``predict`` and its Spark job body (``spark_job``). Runs:
``run_train`` (``muwclass train``) and ``run_classify_table`` (``muwclass classify``).
"""
