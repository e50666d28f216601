"""Models: generative components learned from a dataset (``model NAME : KIND { ... }``).

``base`` is what a kind implements, ``registry`` finds kinds (built-in, or plug-ins through the
entry-point group ``synthdsl.models``), ``noise`` is the secure source of DP noise, ``artifacts`` writes
and verifies fitted models (JSON + npz, never pickle), ``fit`` learns a spec's models. Kinds live in
sub-packages (``bayesnet``) and import their heavy dependencies only when they fit.
"""
