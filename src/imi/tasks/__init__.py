"""The I/O contracts, one module or package per task: what a model of the task takes and gives,
its inference pipeline, and what its evaluation loop needs. ``edit``: image + instruction → image."""
