"""The core layer: paths, parameters and their YAML, ranges, the metric tree, finance, formatting.

Imports nothing from the layers above it (models, analysis, present, batch).
"""
