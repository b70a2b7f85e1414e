"""Evaluation: the reference interpreter, and the compiled evaluator that gives the same bytes faster."""
