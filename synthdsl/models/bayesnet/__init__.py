"""The ``bayesnet`` model kind: a Bayesian network over a table's columns, learned PrivBayes-style.

``encode`` turns columns into the network's discrete states (private bin edges and category lists),
``structure`` chooses parents (the exponential mechanism on mutual information under DP; pgmpy's
hill-climbing search without it), ``network`` holds the conditional tables and samples from them, and
``kind`` is the framework's entry point (options, budget split, fit, load).
"""

# Cells of the joint table a declared network builds for evidence on a node whose ancestors are
# drawn (the checker refuses more: E427).
MAX_JOINT = 1 << 22
