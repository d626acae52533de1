"""Processing stages: pure functions over typed records, plus the store reads and writes at their edges.

segment (feedback -> sentences), classify (sentences -> predictions), aggregate (predictions -> feedback_tags).
The local runner (``pipeline.run``) and the Ray engine (``pipeline.ray_engine``) call the same functions.
"""
