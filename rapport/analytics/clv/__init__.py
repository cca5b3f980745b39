"""Customer value models: pure numpy/scipy, no database.

``summary`` turns transactions into the per-customer statistics the models read (frequency,
recency, age T, average repeat spend), ``bgnbd`` and ``pareto_nbd`` predict purchases and
P(alive), ``gamma_gamma`` the average order value, ``value`` the CLV over a horizon, and
``rfm`` the quintile scores and named segments. Every fit returns a ``FitResult``.
"""
