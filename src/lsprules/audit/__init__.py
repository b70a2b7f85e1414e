"""What an auditor asks of a rule set: semantic diffs and their impact on data, explanations and what-ifs, rule
tests with coverage and boundaries, provenance and git.
"""
