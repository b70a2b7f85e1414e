"""The rule language: grammar, parser, syntax-error labels, lowering to the AST, the AST itself, the resolver
that turns a rule file into a rule set, three-valued conditions, and the canonical printer.
"""
