"""Static analysis of rule sets: the exact analysis of RAG bands, the checks of `lsprules check`, and the
checks of rules against datasets.
"""
