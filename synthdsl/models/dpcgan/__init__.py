"""The ``dpcgan`` model kind: a CTGAN-style conditional GAN trained with DP-SGD (torch + Opacus).

``transform`` turns rows into the GAN's matrix from released facts only (the Bayesian network's private
encoders: quantile modes for numbers, label lists for categories), ``nets`` holds the torch modules,
``train`` trains them (Opacus DP-SGD on the discriminator, calibrated to the target epsilon), ``sample``
runs the generator in numpy from its safetensors weights, and ``kind`` is the framework's entry point.
Only ``train`` and ``nets`` import torch; generation from an artifact does not.
"""
