"""The batch layer: the ``aibm`` command, the runner and its executors, warm kernels, incremental runs."""
