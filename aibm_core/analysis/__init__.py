"""The analysis layer: scenarios, results (computed once per parameter set), uncertainty,
sensitivity, goal seek, attribution, the value chain and the pyramid comparison.

Reads the models and the core; imports nothing from presentation or the batch runner.
"""
